#include "run_report.hpp"

#include <iostream>

#include "command.hpp"
#include "report.hpp"

namespace flowpool::cli {

bool report(const RunStats& stats, const ReportFlags& flags, std::ofstream* json) {
    if (!flags.quiet) std::cerr << summary_line(stats) << '\n';
    if (flags.stats) std::cerr << stats_table(stats, default_workers());
    if (json != nullptr) {
        *json << stats_json(stats, default_workers());
        json->flush();
        if (!*json) {
            print_error("cannot write '" + flags.stats_json + "'");
            return false;
        }
    }
    return true;
}

}  // namespace flowpool::cli

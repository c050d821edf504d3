// libFuzzer entry point for CSV (FLOWPOOL_FUZZ=ON, Clang only): arbitrary bytes as a file cut into
// records by CsvCutter (small caps, so that the too-long paths run too), each record split by
// split_csv, and each field classified as a number. The first byte picks the delimiter. Bytes
// that start with a gzip or zstd magic are decompressed first, and may be corrupt: that throws.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/csv.hpp"

namespace {

/// One file per process, rewritten for each input.
const std::string& scratch_file() {
    static const std::string path = "/tmp/flowpool_csv_fuzz_" + std::to_string(::getpid()) + ".csv";
    return path;
}

}  // namespace

/// Called by libFuzzer with each input it makes up.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowpool::detail;
    if (size == 0) return 0;
    const char delimiter =
        (data[0] == '"' || data[0] == '\n' || data[0] == '\r') ? ',' : static_cast<char>(data[0]);
    const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::ofstream(scratch_file(), std::ios::binary | std::ios::trunc) << bytes;

    std::vector<std::string> fields;
    std::string error;
    std::size_t column = 0;
    std::int64_t integer = 0;
    double floating = 0;
    split_csv(bytes, delimiter, fields, error, column);  // a whole input as one record, too

    flowpool::RunState run;
    const flowpool::BatchContext ctx(run, "fuzz", 0);
    LineReader reader(scratch_file(), 256);
    CsvCutter cutter(delimiter, 1024);
    std::string record;
    LinePosition start;
    try {
        for (CsvCutter::Got got;
             (got = cutter.next_record(reader, record, start, ctx)) != CsvCutter::Got::end;) {
            if (got != CsvCutter::Got::record) continue;
            if (record.size() > 1024) __builtin_trap();
            if (!split_csv(record, delimiter, fields, error, column)) {
                if (column == 0 || column > record.size() + 1) __builtin_trap();
                record_line_column(record, column);
                continue;
            }
            for (const std::string& field : fields) classify_number(field, integer, floating);
        }
    } catch (const std::runtime_error&) {  // bytes that start like gzip or zstd and are not
    }
    return 0;
}

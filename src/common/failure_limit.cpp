#include "failure_limit.hpp"

#include <stdexcept>

namespace flowpool::detail {

FailureLimit::FailureLimit(const std::string& text) {
    if (text.empty()) return;
    const bool percent = text.back() == '%';
    const std::string number = percent ? text.substr(0, text.size() - 1) : text;
    std::size_t end = 0;
    double value = -1;
    try {
        value = std::stod(number, &end);
    } catch (const std::exception&) {
        end = 0;
    }
    const bool digits_only =
        !number.empty() && number.find_first_not_of("0123456789.") == std::string::npos;
    if (!digits_only || end != number.size() || value < 0 || (percent && value > 100) ||
        (!percent && value != static_cast<double>(static_cast<std::uint64_t>(value)))) {
        throw std::invalid_argument("takes a whole number N or a percentage P%, not '" + text +
                                    "'");
    }
    limit_ = value;
    percent_ = percent;
}

}  // namespace flowpool::detail

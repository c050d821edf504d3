#include "types.hpp"

namespace flowpool::expr {

TypeSet type_of(const Value& value) noexcept {
    switch (value.index()) {
        case 0:
            return int_type;
        case 1:
            return string_type;
        case 2:
            return null_type;
        case 3:
            return bool_type;
        case 4:
            return float_type;
        case 5:
            return list_type;
        case 6:
            return record_type;
        default:
            return custom_type;
    }
}

std::string describe(TypeSet types) {
    if ((types & any_type) == any_type) return "any value";
    static constexpr struct {
        TypeSet type;
        const char* name;
    } names[] = {{number_type, "a number"}, {int_type, "an integer"},
                 {float_type, "a float"},   {string_type, "a string"},
                 {bool_type, "a bool"},     {list_type, "a list"},
                 {record_type, "a record"}, {custom_type, "an application value"},
                 {null_type, "null"}};
    std::string out;
    for (const auto& name : names) {
        if ((types & name.type) != name.type) continue;
        types = static_cast<TypeSet>(types & ~name.type);
        out += (out.empty() ? "" : " or ");
        out += name.name;
    }
    return out.empty() ? "nothing" : out;
}

}  // namespace flowpool::expr

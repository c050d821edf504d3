// Value's members that are not templates: paths, type names.

#include <flowpool/value.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

namespace flowpool {

bool Record::erase(std::string_view name) noexcept {
    const auto found = std::find_if(fields_.begin(), fields_.end(),
                                    [name](const Field& field) { return field.name == name; });
    if (found == fields_.end()) return false;
    fields_.erase(found);
    return true;
}

std::unique_ptr<Value> Opaque::to_value() const {
    if (!tag_->to_value) return nullptr;
    return std::make_unique<Value>(tag_->to_value(value_.get()));
}

const Value* Value::at_path(std::initializer_list<std::string_view> path) const noexcept {
    const Value* here = this;
    for (const std::string_view step : path) {
        if (const Record* fields = here->record()) {
            here = fields->find(step);
        } else if (const List* items = here->list()) {
            std::size_t index = 0;
            const auto [end, error] =
                std::from_chars(step.data(), step.data() + step.size(), index);
            if (error != std::errc{} || end != step.data() + step.size() || index >= items->size())
                return nullptr;
            here = &(*items)[index];
        } else {
            return nullptr;
        }
        if (here == nullptr) return nullptr;
    }
    return here;
}

std::string_view Value::type_name() const noexcept {
    switch (index()) {
        case 0:
            return "integer";
        case 1:
            return "string";
        case 2:
            return "null";
        case 3:
            return "bool";
        case 4:
            return "float";
        case 5:
            return "list";
        case 6:
            return "record";
        default:
            return std::get<Opaque>(*this).type_name();
    }
}

namespace detail {

std::optional<std::int64_t> integral(double d) noexcept {
    // [-2^63, 2^63): every double in it converts exactly; one with no fraction is an integer.
    constexpr double limit = 9223372036854775808.0;
    if (!(d >= -limit && d < limit) || d != std::trunc(d)) return std::nullopt;
    return static_cast<std::int64_t>(d);
}

std::size_t hash_other(const Value& value) noexcept {
    struct Hasher {
        static std::size_t combine(std::size_t seed, std::size_t h) noexcept {
            return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
        }
        std::size_t operator()(std::int64_t n) const noexcept {
            return std::hash<std::int64_t>{}(n);
        }
        std::size_t operator()(const std::string& text) const noexcept {
            return std::hash<std::string>{}(text);
        }
        std::size_t operator()(std::nullptr_t) const noexcept { return 0x6e756c6cU; }
        std::size_t operator()(bool b) const noexcept { return b ? 0x74727565U : 0x66616c73U; }
        std::size_t operator()(double d) const noexcept {
            // A float that equals an integer (1.0, -0.0) hashes as that integer: the expression
            // language's `==` calls them equal, and keys group, dedupe and count by it.
            if (const auto n = integral(d)) return std::hash<std::int64_t>{}(*n);
            return std::hash<double>{}(d);
        }
        std::size_t operator()(const List& items) const noexcept {
            std::size_t h = 0x6c697374U;
            for (const Value& item : items) h = combine(h, std::hash<Value>{}(item));
            return h;
        }
        std::size_t operator()(const Record& fields) const noexcept {
            std::size_t h = 0x7265636fU;
            for (const Field& field : fields) {
                h = combine(combine(h, std::hash<std::string>{}(field.name)),
                            std::hash<Value>{}(field.value));
            }
            return h;
        }
        std::size_t operator()(const Opaque& opaque) const noexcept {
            return std::hash<const void*>{}(opaque.identity());
        }
    };
    return std::visit(Hasher{}, static_cast<const ValueVariant&>(value));
}

}  // namespace detail

std::string_view ValueType::name() const noexcept {
    switch (kind_) {
        case Kind::same:
            return "same";
        case Kind::any:
            return "any";
        case Kind::null:
            return "null";
        case Kind::boolean:
            return "bool";
        case Kind::integer:
            return "integer";
        case Kind::floating:
            return "float";
        case Kind::string:
            return "string";
        case Kind::list:
            return "list";
        case Kind::record:
            return "record";
        case Kind::custom:
            return custom_;
    }
    return "?";
}

}  // namespace flowpool

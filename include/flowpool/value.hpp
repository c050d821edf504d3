#pragma once
/// @file value.hpp
/// What a job of a graph file carries: null, a bool, an integer, a float, a string, a list, a
/// record (fields by name, in the order they were set), or a value of an application's own type.
///
/// @code
/// flowpool::Record user;
/// user.set("id", 7);
/// user.set("country", "DE");
/// flowpool::Value event = flowpool::Record{};
/// std::get<flowpool::Record>(event).set("user", std::move(user));
/// const flowpool::Value* country = event.at_path({"user", "country"});  // "DE"
/// @endcode

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

namespace flowpool {

struct Value;
struct Field;

/// A list value: its elements in order.
using List = std::vector<Value>;

/// A record value: fields by name, in the order they were first set. Names are unique: setting
/// a name again replaces its value where it stands. Lookups compare names one by one, which is
/// the fastest way for the few fields records have.
class Record {
public:
    Record() = default;

    /// The value of field @p name, or nullptr.
    [[nodiscard]] const Value* find(std::string_view name) const noexcept;
    /// The value of field @p name, or nullptr.
    [[nodiscard]] Value* find(std::string_view name) noexcept;
    /// Sets field @p name to @p value: replaces it where it stands, or appends it.
    Value& set(std::string name, Value value);
    /// Appends field @p name, which the caller knows is not there yet.
    Value& append(std::string name, Value value);
    /// Removes field @p name; false if there was none.
    bool erase(std::string_view name) noexcept;
    /// Removes the fields from the @p n th on, keeping the room they took: a record refilled in
    /// place field by field (a parser reusing last line's record) allocates nothing.
    void truncate(std::size_t n) noexcept;

    /// Fields, in order.
    using iterator = std::vector<Field>::iterator;
    using const_iterator = std::vector<Field>::const_iterator;
    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] bool empty() const noexcept;
    [[nodiscard]] const_iterator begin() const noexcept;
    [[nodiscard]] const_iterator end() const noexcept;
    [[nodiscard]] iterator begin() noexcept;
    [[nodiscard]] iterator end() noexcept;
    /// Room for @p n fields.
    void reserve(std::size_t n);

    /// Equal when they have the same fields, with equal values, in the same order.
    friend bool operator==(const Record& a, const Record& b);

private:
    std::vector<Field> fields_;
};

namespace detail {

/// What flowpool knows of an application type T: the name it was registered under, and how to
/// show one as a plain Value (for print formats and JSON), if the application said. One per type
/// in the process, as every Value of T points at it: registries share it, and change it only
/// under a lock, when the first registers T or the last holding T goes (OpRegistry::add_type).
struct OpaqueTag {
    const std::type_info* type = nullptr;
    std::string name;
    std::function<Value(const void*)> to_value;
    /// What tells one to_value from another: the C++ type of the function the application gave,
    /// and its address if it is a plain function; nullptr for none.
    const std::type_info* to_value_type = nullptr;
    void (*to_value_address)() = nullptr;
    /// The registries (copies included) holding the name and to_value in force; 0: none.
    std::size_t holders = 0;
};

/// The one tag of type @p T.
template <class T>
OpaqueTag& opaque_tag() {
    static OpaqueTag tag{&typeid(T), typeid(T).name(), {}, nullptr, nullptr, 0};
    return tag;
}

}  // namespace detail

/// A value of an application's own type, registered with OpRegistry::add_type<T>(): held by
/// shared pointer to const, so that it passes between nodes (and to several) without a copy or a
/// conversion. Equal only to itself.
class Opaque {
public:
    /// Holds @p value.
    template <class T>
    static Opaque make(T value) {
        return Opaque(std::make_shared<const T>(std::move(value)), &detail::opaque_tag<T>());
    }

    /// The value if it is a T, else nullptr.
    template <class T>
    [[nodiscard]] const T* get() const noexcept {
        return *tag_->type == typeid(T) ? static_cast<const T*>(value_.get()) : nullptr;
    }
    /// The name its type was registered under (the C++ type's name if none was).
    [[nodiscard]] const std::string& type_name() const noexcept { return tag_->name; }
    /// What it holds, for identity: equal Opaques hold the same object.
    [[nodiscard]] const void* identity() const noexcept { return value_.get(); }
    /// The value as a plain Value, if its type was registered with a conversion; else nullptr.
    [[nodiscard]] std::unique_ptr<Value> to_value() const;

    friend bool operator==(const Opaque& a, const Opaque& b) noexcept {
        return a.value_ == b.value_;
    }

private:
    Opaque(std::shared_ptr<const void> value, const detail::OpaqueTag* tag) noexcept
        : value_(std::move(value)), tag_(tag) {}

    std::shared_ptr<const void> value_;
    const detail::OpaqueTag* tag_;
};

/// The alternatives of a Value, in this order (an integer first: the fast path).
using ValueVariant =
    std::variant<std::int64_t, std::string, std::nullptr_t, bool, double, List, Record, Opaque>;

/// A job's payload in a graph file: a std::variant, so std::get, std::get_if, std::visit and
/// std::holds_alternative work on it. 40 bytes, as a std::string and its tag.
struct Value : ValueVariant {
    using ValueVariant::ValueVariant;
    using ValueVariant::operator=;
    Value() = default;

    /// A value of an application type (registered with OpRegistry::add_type<T>()).
    template <class T>
    [[nodiscard]] static Value of(T value) {
        return Value(Opaque::make(std::move(value)));
    }
    /// The application value of type @p T held here. Throws std::invalid_argument naming the
    /// type it holds if it holds no T.
    template <class T>
    [[nodiscard]] const T& as() const {
        if (const auto* opaque = std::get_if<Opaque>(this)) {
            if (const T* value = opaque->get<T>()) return *value;
        }
        throw std::invalid_argument("expected " + detail::opaque_tag<T>().name + ", got " +
                                    std::string(type_name()));
    }

    /// True for null.
    [[nodiscard]] bool is_null() const noexcept {
        return std::holds_alternative<std::nullptr_t>(*this);
    }
    /// The record held here, or nullptr.
    [[nodiscard]] const Record* record() const noexcept { return std::get_if<Record>(this); }
    /// The list held here, or nullptr.
    [[nodiscard]] const List* list() const noexcept { return std::get_if<List>(this); }

    /// The value at @p path, field names and list indexes ("0", "1", ...) from here, or nullptr
    /// if a step is missing.
    [[nodiscard]] const Value* at_path(std::initializer_list<std::string_view> path) const noexcept;

    /// Its type's name: null, bool, integer, float, string, list, record, or the application
    /// type's.
    [[nodiscard]] std::string_view type_name() const noexcept;
};

/// One field of a record.
struct Field {
    std::string name;  ///< unique in its record
    Value value;       ///< its value

    friend bool operator==(const Field&, const Field&) = default;
};

/// The type of the values an op takes or gives, as validation checks them along edges.
class ValueType {
public:
    /// What a ValueType is.
    enum class Kind : std::uint8_t {
        same,      ///< gives: the type the op was given (a pass-through)
        any,       ///< takes: any value; gives: not known before the run (parse_json)
        null,      ///< null
        boolean,   ///< bool
        integer,   ///< integer
        floating,  ///< float
        string,    ///< string
        list,      ///< list
        record,    ///< record
        custom,    ///< an application type, by name
    };

    constexpr ValueType() noexcept = default;
    // NOLINTNEXTLINE(google-explicit-constructor): ValueType::integer and the like
    ValueType(Kind kind) : kind_(kind) {}
    /// An application type registered as @p name.
    [[nodiscard]] static ValueType custom(std::string name) {
        ValueType type(Kind::custom);
        type.custom_ = std::move(name);
        return type;
    }

    static const ValueType same, any, null, boolean, integer, floating, string, list, record;

    [[nodiscard]] Kind kind() const noexcept { return kind_; }
    /// As written in graph files: `integer`, `float`, `record`, ... or the application type's name.
    [[nodiscard]] std::string_view name() const noexcept;
    /// True if an op that takes this type may be given values of type @p given: equal types,
    /// or either is `any` (a given `any` is checked per job at run time).
    [[nodiscard]] bool accepts(const ValueType& given) const noexcept {
        return kind_ == Kind::any || given.kind_ == Kind::any || *this == given;
    }

    friend bool operator==(const ValueType&, const ValueType&) = default;

private:
    Kind kind_ = Kind::same;
    std::string custom_;
};

inline const ValueType ValueType::same{Kind::same};
inline const ValueType ValueType::any{Kind::any};
inline const ValueType ValueType::null{Kind::null};
inline const ValueType ValueType::boolean{Kind::boolean};
inline const ValueType ValueType::integer{Kind::integer};
inline const ValueType ValueType::floating{Kind::floating};
inline const ValueType ValueType::string{Kind::string};
inline const ValueType ValueType::list{Kind::list};
inline const ValueType ValueType::record{Kind::record};

/// ValueType::name().
[[nodiscard]] inline std::string_view to_string(const ValueType& type) noexcept {
    return type.name();
}

// Record's members that need a complete Value.

inline const Value* Record::find(std::string_view name) const noexcept {
    for (const Field& field : fields_) {
        if (field.name == name) return &field.value;
    }
    return nullptr;
}

inline Value* Record::find(std::string_view name) noexcept {
    for (Field& field : fields_) {
        if (field.name == name) return &field.value;
    }
    return nullptr;
}

inline std::size_t Record::size() const noexcept { return fields_.size(); }
inline bool Record::empty() const noexcept { return fields_.empty(); }
inline Record::const_iterator Record::begin() const noexcept { return fields_.begin(); }
inline Record::const_iterator Record::end() const noexcept { return fields_.end(); }
inline Record::iterator Record::begin() noexcept { return fields_.begin(); }
inline Record::iterator Record::end() noexcept { return fields_.end(); }
inline void Record::reserve(std::size_t n) { fields_.reserve(n); }
inline void Record::truncate(std::size_t n) noexcept {
    if (n < fields_.size())
        fields_.erase(fields_.begin() + static_cast<std::ptrdiff_t>(n), fields_.end());
}

inline Value& Record::append(std::string name, Value value) {
    return fields_.emplace_back(Field{std::move(name), std::move(value)}).value;
}

inline Value& Record::set(std::string name, Value value) {
    if (Value* there = find(name)) {
        *there = std::move(value);
        return *there;
    }
    return append(std::move(name), std::move(value));
}

inline bool operator==(const Record& a, const Record& b) { return a.fields_ == b.fields_; }

namespace detail {
/// The hash of a value that is not an integer (value.cpp).
[[nodiscard]] std::size_t hash_other(const Value& value) noexcept;
/// @p d as the integer it equals (1.0, -0.0), if it is one in int64's range.
[[nodiscard]] std::optional<std::int64_t> integral(double d) noexcept;
}  // namespace detail

}  // namespace flowpool

/// Values hash as they compare: equal values, equal hashes (an application value by identity);
/// a float that equals an integer hashes as the integer, as the expression language's `==`
/// calls them equal.
template <>
struct std::hash<flowpool::Value> {
    std::size_t operator()(const flowpool::Value& value) const noexcept {
        if (const auto* n = std::get_if<std::int64_t>(&value)) return std::hash<std::int64_t>{}(*n);
        return flowpool::detail::hash_other(value);
    }
};

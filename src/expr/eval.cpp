// Evaluates a parsed expression for one job. Each step returns a reference: into the job's value
// for a path, to the tree's constant for a literal, or to the caller's scratch value for what it
// computes, so that a field or a comparison costs no allocation.

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "expression.hpp"
#include "functions.hpp"
#include "parser.hpp"
#include "tree.hpp"
#include "values.hpp"

namespace flowpool::expr {
namespace {

const Value null_value{nullptr};

/// @p a OP @p b, OP a comparison, if both are integers or both floats (neither NaN, which only
/// an application's value holds and which orders as arithmetic() says); else nullopt.
std::optional<bool> compare_numbers(Op op, const Value& a, const Value& b) noexcept {
    const auto compare = [op](const auto x, const auto y) {
        switch (op) {
            case Op::equal:
                return x == y;
            case Op::not_equal:
                return x != y;
            case Op::less:
                return x < y;
            case Op::less_equal:
                return x <= y;
            case Op::greater:
                return x > y;
            default:
                return x >= y;
        }
    };
    if (a.index() != b.index()) return std::nullopt;
    if (const auto* x = std::get_if<std::int64_t>(&a))
        return compare(*x, std::get<std::int64_t>(b));
    if (const auto* x = std::get_if<double>(&a); x && !std::isnan(*x + std::get<double>(b)))
        return compare(*x, std::get<double>(b));
    return std::nullopt;
}

bool is_comparison(Op op) noexcept {
    return op == Op::equal || op == Op::not_equal || op == Op::less || op == Op::less_equal ||
           op == Op::greater || op == Op::greater_equal;
}

/// The FieldTest @p tree is, if it has that shape.
std::optional<FieldTest> field_test_of(const Tree& tree) {
    const Node& root = tree.nodes[tree.root];
    if (!is_comparison(root.op)) return std::nullopt;
    const Node& field = tree.nodes[root.a];
    const Node& literal = tree.nodes[root.b];
    if (field.op != Op::path || field.a != no_node || field.steps.size() != 1 ||
        field.steps.front().is_index || literal.op != Op::constant ||
        !(std::holds_alternative<std::int64_t>(literal.constant) ||
          std::holds_alternative<double>(literal.constant))) {
        return std::nullopt;
    }
    return FieldTest{field.steps.front().name, root.op, literal.constant};
}

class Evaluator {
public:
    Evaluator(const Tree& tree, const Env& env) : tree_(tree), env_(env) {}

    const Value& eval(std::uint32_t n, Value& scratch) const;
    /// Node @p n as a condition: true, or false for false and null. The logical operators and
    /// the comparisons, which conditions are made of, give a bool without a Value to hold it.
    bool truth(std::uint32_t n) const;

private:
    [[noreturn]] void fail(const Node& node, const std::string& reason) const {
        throw EvalError("'" + std::string(tree_.text_of(node)) + "': " + reason);
    }
    bool truth_of(std::uint32_t n, const Value& value) const {
        if (const bool* b = std::get_if<bool>(&value)) return *b;
        if (value.is_null()) return false;
        fail(tree_.nodes[n], "expected a bool, got " + std::string(article(value)));
    }
    const Value& path(const Node& node, Value& scratch) const;
    /// Node @p n's value where it lies, if finding it computes nothing: a constant, or a path
    /// into the job's value (throwing as path() does). Else nullptr: eval() it.
    const Value* in_place(std::uint32_t n) const;
    /// The value @p node's steps lead to from @p from. A step from an application value goes
    /// into the plain value its type's to_value shows (as a format's `{value.FIELD}` does):
    /// what the path finds there is copied to @p keep, or, with no @p keep, not found: nullptr.
    const Value* walk(const Node& node, const Value& from, Value* keep) const;
    const Value& step(const Node& node, const Value& from, const Step& step) const;
    const Value& binary(const Node& node, Value& scratch) const;
    bool compared(const Node& node) const;
    bool compared(const Node& node, const Value& a, const Value& b) const;
    const Value& call(const Node& node, Value& scratch) const;
    const Value& in(const Node& node, Value& scratch) const;

    const Tree& tree_;
    const Env& env_;
};

const Value& Evaluator::eval(std::uint32_t n, Value& scratch) const {
    const Node& node = tree_.nodes[n];
    switch (node.op) {
        case Op::constant:
            return node.constant;
        case Op::path:
            return path(node, scratch);
        case Op::logical_and:
            scratch = truth(node.a) && truth(node.b);
            return scratch;
        case Op::logical_or:
            scratch = truth(node.a) || truth(node.b);
            return scratch;
        case Op::logical_not:
            scratch = !truth(node.a);
            return scratch;
        case Op::if_else:
            return eval(truth(node.a) ? node.b : node.c, scratch);
        case Op::coalesce: {
            const Value& a = eval(node.a, scratch);
            return a.is_null() ? eval(node.b, scratch) : a;
        }
        case Op::call:
            return call(node, scratch);
        case Op::in:
            return in(node, scratch);
        case Op::list: {
            List list;
            list.reserve(node.args.size());
            for (const std::uint32_t arg : node.args) {
                Value item;
                const Value& got = eval(arg, item);
                list.push_back(&got == &item ? std::move(item) : got);
            }
            scratch = std::move(list);
            return scratch;
        }
        case Op::index: {
            Value key_scratch;
            const Value& key = eval(node.b, key_scratch);
            const Value& base = eval(node.a, scratch);
            Step s;
            if (const auto* i = std::get_if<std::int64_t>(&key)) {
                s.index = *i;
                s.is_index = true;
            } else if (const auto* name = std::get_if<std::string>(&key)) {
                s.name = *name;
            } else if (key.is_null()) {
                return null_value;
            } else {
                fail(tree_.nodes[node.b],
                     "an index must be an integer or a string, not " + std::string(article(key)));
            }
            return step(node, base, s);
        }
        default:
            return binary(node, scratch);
    }
}

bool Evaluator::truth(std::uint32_t n) const {
    const Node& node = tree_.nodes[n];
    switch (node.op) {
        case Op::logical_and:
            return truth(node.a) && truth(node.b);
        case Op::logical_or:
            return truth(node.a) || truth(node.b);
        case Op::logical_not:
            return !truth(node.a);
        case Op::equal:
        case Op::not_equal:
        case Op::less:
        case Op::less_equal:
        case Op::greater:
        case Op::greater_equal:
            return compared(node);
        default: {
            if (const Value* value = in_place(n)) return truth_of(n, *value);
            Value scratch;
            return truth_of(n, eval(n, scratch));
        }
    }
}

/// A comparison as truth() sees it: what binary() gives, true or (false or null) false. A field
/// compared with a literal (`.status >= 500`) makes no Value to hold either side.
bool Evaluator::compared(const Node& node) const {
    std::optional<Value> a_scratch;
    const Value* a = in_place(node.a);
    if (a == nullptr) a = &eval(node.a, a_scratch.emplace());
    std::optional<Value> b_scratch;
    const Value* b = in_place(node.b);
    if (b == nullptr) b = &eval(node.b, b_scratch.emplace());
    return compared(node, *a, *b);
}

/// Two integers or two floats are compared here, the rest as binary() does.
bool Evaluator::compared(const Node& node, const Value& a, const Value& b) const {
    if (const std::optional<bool> yes = compare_numbers(node.op, a, b)) return *yes;
    Value result;
    try {
        arithmetic(node.op, a, b, result);
    } catch (const std::invalid_argument& e) {
        fail(node, e.what());
    }
    const bool* yes = std::get_if<bool>(&result);
    return yes != nullptr && *yes;  // else null: an ordering with null
}

const Value* Evaluator::in_place(std::uint32_t n) const {
    const Node& node = tree_.nodes[n];
    if (node.op == Op::constant) return &node.constant;
    if (node.op != Op::path || node.a != no_node) return nullptr;
    return walk(node, env_.value, nullptr);
}

const Value& Evaluator::path(const Node& node, Value& scratch) const {
    return *walk(node, node.a == no_node ? env_.value : eval(node.a, scratch), &scratch);
}

const Value* Evaluator::walk(const Node& node, const Value& from, Value* keep) const {
    const Value* here = &from;
    std::unique_ptr<Value> shown;  // an application value as its to_value shows it
    for (const Step& s : node.steps) {
        if (const auto* opaque = std::get_if<Opaque>(here)) {
            if (keep == nullptr) return nullptr;
            if (std::unique_ptr<Value> plain = opaque->to_value()) {
                shown = std::move(plain);  // here was in the last one shown, if any: done with it
                here = shown.get();
            }
        }
        // A field of a record, the common step, is looked up here; the rest, and errors, in step().
        const Record* record = s.is_index ? nullptr : here->record();
        if (record == nullptr) {
            here = &step(node, *here, s);
            continue;
        }
        const Value* field = record->find(s.name);
        here = field != nullptr ? field : &null_value;
    }
    if (shown == nullptr) return here;
    *keep = Value(*here);  // here is in what was shown (or null_value): kept beyond this call
    return keep;
}

const Value& Evaluator::step(const Node& node, const Value& from, const Step& s) const {
    if (from.is_null()) return null_value;
    if (!s.is_index) {
        if (const Record* record = from.record()) {
            const Value* field = record->find(s.name);
            return field ? *field : null_value;
        }
        if (const auto* opaque = std::get_if<Opaque>(&from)) {
            fail(node, "cannot take field '" + s.name + "' of " + opaque->type_name() +
                           " values, which show no fields: their type was added without to_value");
        }
        fail(node, "cannot take field '" + s.name + "' of " + std::string(article(from)));
    }
    if (const List* list = from.list()) {
        const auto size = static_cast<std::int64_t>(list->size());
        const std::int64_t at = s.index < 0 ? size + s.index : s.index;
        return at >= 0 && at < size ? (*list)[static_cast<std::size_t>(at)] : null_value;
    }
    fail(node,
         "cannot index " + std::string(article(from)) + " with [" + std::to_string(s.index) + "]");
}

const Value& Evaluator::in(const Node& node, Value& scratch) const {
    Value a_scratch;
    const Value& a = eval(node.a, a_scratch);
    const Value& b = eval(node.b, scratch);
    bool found = false;
    if (const List* list = b.list()) {
        for (const Value& item : *list) {
            if (equal(a, item)) {
                found = true;
                break;
            }
        }
    } else if (b.is_null()) {
        found = false;
    } else if (const auto* name = std::get_if<std::string>(&a)) {
        if (const Record* record = b.record()) {
            found = record->find(*name) != nullptr;
        } else if (const auto* text = std::get_if<std::string>(&b)) {
            found = text->find(*name) != std::string::npos;
        } else {
            fail(node,
                 "'in' looks in a list, a string or a record, not " + std::string(article(b)));
        }
    } else if (a.is_null()) {
        found = false;
    } else {
        fail(node, "'in' looks for " + std::string(article(a)) + " in " + std::string(article(b)) +
                       ": only in a list");
    }
    scratch = found;
    return scratch;
}

const Value& Evaluator::binary(const Node& node, Value& scratch) const {
    Value a_scratch;
    const Value& a = eval(node.a, a_scratch);
    if (node.op == Op::negate) {
        try {
            negate(a, scratch);
        } catch (const std::invalid_argument& e) {
            fail(node, e.what());
        }
        return scratch;
    }
    if (node.op == Op::match) {
        if (a.is_null()) return null_value;
        const auto* text = std::get_if<std::string>(&a);
        if (text == nullptr) fail(node, "'=~' matches a string, not " + std::string(article(a)));
        scratch = RE2::PartialMatch(*text, *node.regex);
        return scratch;
    }
    Value b_scratch;
    const Value& b = eval(node.b, b_scratch);
    try {
        arithmetic(node.op, a, b, scratch);
    } catch (const std::invalid_argument& e) {
        fail(node, e.what());
    }
    return scratch;
}

const Value& Evaluator::call(const Node& node, Value& scratch) const {
    constexpr std::size_t inline_args = 4;
    std::array<Value, inline_args> local;
    std::array<const Value*, inline_args> local_refs{};
    std::vector<Value> more;
    std::vector<const Value*> more_refs;
    const std::size_t n = node.args.size();
    if (n > inline_args) {
        more.resize(n);
        more_refs.resize(n);
    }
    Value* values = n > inline_args ? more.data() : local.data();
    const Value** refs = n > inline_args ? more_refs.data() : local_refs.data();
    for (std::size_t i = 0; i < n; ++i) {
        refs[i] = &eval(node.args[i], values[i]);
        if (refs[i]->is_null() && node.function->null_gives_null) return null_value;
    }
    try {
        node.function->body(std::span<const Value* const>(refs, n), env_, scratch);
    } catch (const std::invalid_argument& e) {
        fail(node, e.what());
    }
    return scratch;
}

}  // namespace

Expression Expression::compile(std::string_view text) {
    auto tree = std::make_shared<Tree>();
    tree->text = std::string(text);
    parse_into(*tree);
    tree->field_test = field_test_of(*tree);
    return Expression(std::move(tree));
}

void Expression::require_gives(TypeSet allowed, std::string_view what) const {
    // Null says nothing: arithmetic on a missing field gives it, yet `.status + 1` is no condition.
    const TypeSet gives = tree_->nodes[tree_->root].gives;
    if (gives == null_type && (allowed & null_type) != 0) return;  // the literal `null`
    if ((gives & allowed & ~null_type) != 0) return;
    const TypeSet named = gives == null_type ? gives : gives & ~null_type;
    throw ParseError(tree_->nodes[tree_->root].begin, std::string(what) + " must be " +
                                                          describe(allowed & ~null_type) +
                                                          ", not " + describe(named));
}

const Value& Expression::eval_ref(const Env& env, Value& scratch) const {
    return Evaluator(*tree_, env).eval(tree_->root, scratch);
}

Value Expression::eval(const Env& env) const {
    Value scratch;
    const Value& result = eval_ref(env, scratch);
    if (&result == &scratch) return scratch;
    return result;
}

bool Expression::test(const Env& env) const {
    // `.status >= 500` on a record whose status is an integer: no evaluator. Any other case
    // (a missing field, null, another type, not a record) takes the evaluator's way.
    if (const std::string* name = compared_field()) {
        if (const Record* record = env.value.record()) {
            if (const Value* field = record->find(*name)) {
                if (const std::optional<bool> yes = test_compared(*field)) return *yes;
            }
        }
    }
    return Evaluator(*tree_, env).truth(tree_->root);
}

const std::string* Expression::compared_field() const noexcept {
    return tree_->field_test ? &tree_->field_test->name : nullptr;
}

std::optional<bool> Expression::test_compared(const Value& field) const noexcept {
    const FieldTest& fast = *tree_->field_test;
    return compare_numbers(fast.op, field, fast.number);
}

std::optional<Expression::IntegerOutcomes> Expression::integer_outcomes() const noexcept {
    if (!tree_->field_test) return std::nullopt;
    const FieldTest& fast = *tree_->field_test;
    const auto* number = std::get_if<std::int64_t>(&fast.number);
    if (number == nullptr) return std::nullopt;
    // The comparison of 0 with 1, 0 and -1 is its comparison of any integer with a greater, an
    // equal and a smaller one.
    const auto outcome = [&fast](std::int64_t field, std::int64_t literal) {
        return compare_numbers(fast.op, Value(field), Value(literal)).value_or(false);
    };
    return IntegerOutcomes{*number, outcome(0, 1), outcome(0, 0), outcome(0, -1)};
}

const std::string& Expression::text() const noexcept { return tree_->text; }

bool Expression::is_path() const noexcept {
    const Node& root = tree_->nodes[tree_->root];
    return root.op == Op::path && root.a == no_node;
}

bool Expression::add_fields_read(std::vector<std::string>& names) const {
    for (const Node& node : tree_->nodes) {
        if (node.op != Op::path || node.a != no_node) continue;  // a path from another node's value
        if (node.steps.empty() || node.steps.front().is_index) return false;
        const std::string& name = node.steps.front().name;
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    return true;
}

bool Expression::reads_value_only() const noexcept {
    return std::none_of(tree_->nodes.begin(), tree_->nodes.end(), [](const Node& node) {
        return node.op == Op::call && node.function != nullptr && node.function->reads_job;
    });
}

}  // namespace flowpool::expr

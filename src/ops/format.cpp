#include "format.hpp"

#include <flowpool/ops.hpp>

#include <algorithm>
#include <charconv>
#include <memory>
#include <stdexcept>

#include "data/json.hpp"
#include "expr/lexer.hpp"

namespace flowpool::detail {
namespace {

template <class Int>
void append_int(std::string& out, Int n) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    out.append(digits, end);
}

/// A quoted field name of a path (`{value.["odd key"]}`), read as expressions read a string,
/// escapes and all. Throws expr::ParseError (a std::invalid_argument) at a bad escape.
std::string unquote_name(std::string_view quoted) { return expr::tokenize(quoted).front().text; }

/// Where the field whose `{` is at @p open in @p text closes: its `}`, past any inside a quoted
/// name (`{value.["a}b"]}`); npos if none. An unclosed quote ends at the next `}`, for the path
/// to say what is wrong.
std::size_t field_close(std::string_view text, std::size_t open) {
    for (std::size_t i = open + 1; i < text.size(); ++i) {
        if (text[i] == '}') return i;
        if (text.substr(i, 2) != "[\"" && text.substr(i, 2) != "['") continue;
        const std::size_t end = quoted_end(text, i + 1);
        if (end == std::string_view::npos) return text.find('}', i);
        i = end - 1;
    }
    return std::string_view::npos;
}

}  // namespace

LineFormat::LineFormat(std::string_view text) {
    std::string literal;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            literal += c;
            ++i;
            continue;
        }
        if (c == '}') throw FormatError(i, "unmatched '}' in format (write '}}' for a brace)");
        if (c != '{') {
            literal += c;
            continue;
        }
        const std::size_t close = field_close(text, i);
        if (close == std::string_view::npos) {
            throw FormatError(i, "unclosed '{' in format (write '{{' for a brace)");
        }
        const std::string_view name = text.substr(i + 1, close - i - 1);
        Field field;
        ValuePath path;
        if (name == "id") {
            field = Field::id;
        } else if (name == "value" || name.starts_with("value.") || name.starts_with("value[")) {
            field = Field::value;
            try {
                path = ValuePath(name.substr(5), unquote_name);
            } catch (const std::invalid_argument& e) {
                throw FormatError(i, e.what());
            }
        } else if (name == "worker") {
            field = Field::worker;
        } else if (name == "node") {
            field = Field::node;
        } else if (name == "file") {
            field = Field::file;
        } else {
            throw FormatError(i, "unknown field '{" + std::string(name) +
                                     "}' in format; fields are {id}, {value}, {value.FIELD}, "
                                     "{worker}, {node}, {file}");
        }
        if (!literal.empty()) pieces_.push_back({Field::text, std::move(literal), {}});
        literal.clear();
        pieces_.push_back({field, {}, std::move(path)});
        i = close;
    }
    if (!literal.empty()) pieces_.push_back({Field::text, std::move(literal), {}});
}

void LineFormat::render(std::string& out, const JobContext& job, const Value& value) const {
    render_pieces(out, job, value, false);
    out += '\n';
}

void LineFormat::render_text(std::string& out, const JobContext& job, const Value& value) const {
    render_pieces(out, job, value, true);
}

void LineFormat::render_pieces(std::string& out, const JobContext& job, const Value& value,
                               bool raw) const {
    for (const Piece& piece : pieces_) {
        switch (piece.field) {
            case Field::text:
                out += piece.text;
                break;
            case Field::id:
                append_int(out, job.id());
                break;
            case Field::value: {
                std::unique_ptr<Value> plain;  // an application value's, read through
                const Value& shown = piece.path.empty() ? value : piece.path.at(value, plain);
                append_value(out, shown, raw);
                break;
            }
            case Field::worker:
                append_int(out, job.worker());
                break;
            case Field::node:
                out += job.node();
                break;
            case Field::file:
                out += job.file();
                break;
        }
    }
}

bool LineFormat::add_fields_read(std::vector<std::string>& names) const {
    for (const Piece& piece : pieces_) {
        if (piece.field != Field::value) continue;
        const std::string* const name = piece.path.first_field();
        if (name == nullptr) return false;
        if (std::find(names.begin(), names.end(), *name) == names.end()) names.push_back(*name);
    }
    return true;
}

bool format_reads_fields(const Params& params, std::vector<std::string>& names, bool& passes_on) {
    passes_on = false;
    return LineFormat(params.string("format")).add_fields_read(names);
}

void check_format(const std::string& text) {
    try {
        LineFormat{text};
    } catch (const FormatError& e) {
        throw ParamTextError(e.offset, e.what());
    }
}

void append_value(std::string& out, const Value& value, bool raw) {
    if (const auto* opaque = std::get_if<Opaque>(&value)) {
        // Shown as the plain value its to_value gives, by the same rules (a string as it is),
        // else by its type's name, as text: it is no string, so JSON's quotes would mislead.
        if (const std::unique_ptr<Value> plain = opaque->to_value()) {
            append_value(out, *plain, raw);
        } else {
            out += '<' + opaque->type_name() + '>';
        }
    } else if (const auto* n = std::get_if<std::int64_t>(&value)) {
        append_int(out, *n);
    } else if (const auto* text = std::get_if<std::string>(&value)) {
        // A string value holding a newline would split the line: keep one job, one line.
        if (raw) {
            out += *text;
        } else {
            for (const char c : *text) out += (c == '\n' ? ' ' : c);
        }
    } else {
        append_json_value(out, value);  // JSON has no raw newline
    }
}

}  // namespace flowpool::detail

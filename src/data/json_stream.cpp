#include "json_stream.hpp"

#include <simdjson.h>

#include <bit>
#include <utility>

#include "json_build.hpp"

namespace flowpool::detail {

struct JsonLineRun::State {
    ondemand::parser parser;
    ondemand::document_stream stream;
    ondemand::document_stream::iterator at;
    std::string_view text;
    std::size_t window = 0;  // the size iterate_many is given
    bool running = false;

    State() {
#ifdef SIMDJSON_THREADS_ENABLED
        // The whole text is one window: a second stage-1 thread would only be started and joined.
        parser.threaded = false;
#endif
    }

    /// True if text[@p begin, @p end) holds nothing but JSON whitespace.
    [[nodiscard]] bool blank(std::size_t begin, std::size_t end) const noexcept {
        return json_blank(text.substr(begin, end - begin));
    }

    /// Reads the object at the iterator into @p out (see JsonLineRun::next).
    bool read(const FieldNames& names, Value& out, FieldsRead& read) {
        ondemand::document_reference doc;
        if ((*at).get(doc)) return false;
        JsonBuilder builder(text.data());
        if (names.empty()) {
            ondemand::value root;
            if (doc.get_value().get(root) || !builder.read(root, out, 1)) return false;
            return out.record() != nullptr;
        }
        ondemand::object object;
        if (doc.get_object().get(object)) return false;
        return read_json_fields(builder, object, names, out, doc, read);
    }

    /// True if nothing of the line ending at @p end is left after the object just read. A
    /// projection skips the members it does not read without checking their brackets, so a
    /// broken one (`{"x":{"y":1]},"a":1}`) can close the object early, before fields it asks
    /// for: such a line is read again alone, where what follows the object is an error.
    [[nodiscard]] bool read_to(std::size_t end) {
        ondemand::document_reference doc;
        const char* after = nullptr;
        if ((*at).get(doc) || doc.current_location().get(after)) return true;  // at the end
        return after >= text.data() + end;
    }
};

JsonLineRun::JsonLineRun() : state_(std::make_unique<State>()) {}
JsonLineRun::~JsonLineRun() = default;

JsonLineRun& JsonLineRun::mine() {
    thread_local JsonLineRun run;
    return run;
}

bool JsonLineRun::start(std::string_view text) {
    State& s = *state_;
    s.running = false;
    if (text.size() > max_text) return false;
    s.text = text;
    // One window over the whole text: its lines are a batch's, already in memory. The window
    // keeps its size from batch to batch (a power of two that fits): On-Demand reallocates the
    // parser's buffers whenever it changes, and a batch's text is a new size each time. Fresh
    // buffers every batch cost a page fault per page they touch (ten times the faults, and 10 %
    // more CPU, at two workers on a 2-CPU VM). It shrinks only for a text far smaller, so that
    // one batch of long lines does not keep its buffers for good.
    if (const std::size_t fits = std::bit_ceil(text.size()); fits > s.window || fits < s.window / 8)
        s.window = fits;
    if (s.parser.iterate_many(text.data(), text.size(), s.window).get(s.stream)) return false;
    s.at = s.stream.begin();
    s.running = true;
    return true;
}

bool JsonLineRun::next(std::size_t begin, std::size_t end, const FieldNames& names, Value& out,
                       FieldsRead& read) {
    State& s = *state_;
    if (!s.running || !(s.at != s.stream.end())) return s.running = false;
    // The object starts this line, after blanks at most, and the next value starts the next
    // line: so it is the line's only value, as parse_json requires of a line read alone.
    const std::size_t first = s.at.current_index();
    s.running = first >= begin && first < end && s.blank(begin, first) &&
                s.read(names, out, read) && s.read_to(end);
    if (!s.running) return false;
    ++s.at;
    if (s.at != s.stream.end()) {
        // The next value starts the next line: else this object ran on into it (a line that is
        // an object's head and the next its tail read as one object).
        const std::size_t following = s.at.current_index();
        s.running = following > end && s.blank(end + 1, following);
    } else {
        // No unfinished value after it, and no line: else this object ran on into the lines
        // after it (a line that is an object's head and the last its tail read as one object).
        s.running = s.stream.truncated_bytes() == 0 && s.blank(end, s.text.size());
    }
    return s.running;
}

std::size_t JsonLineRun::next_line(std::size_t begin, const FieldNames& names, Value& out,
                                   FieldsRead& read) {
    State& s = *state_;
    s.running = s.running && s.at != s.stream.end() && s.at.current_index() == begin &&
                s.read(names, out, read);
    if (!s.running) return 0;
    ++s.at;
    if (!(s.at != s.stream.end())) {  // the last value
        s.running = s.stream.truncated_bytes() == 0;
        return s.running ? s.text.size() : 0;
    }
    // Between the object's closing brace and the next value, only the line end. (The next value
    // starts where the object's last token left the stream, a read having taken the object to
    // its end; one that ended it early left a token of its line.)
    const std::size_t next = s.at.current_index();
    const std::string_view before = s.text.substr(0, next);
    s.running = before.ends_with("}\n") || before.ends_with("}\r\n");
    return s.running ? next : 0;
}

bool JsonLineRun::over() noexcept {
    State& s = *state_;
    return s.running && !(s.at != s.stream.end());
}

}  // namespace flowpool::detail

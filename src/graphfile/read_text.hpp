#pragma once
// Getting a graph file's text safely: bounded in size, never blocking on a FIFO, and checked to
// be UTF-8 text before a YAML parser sees it.

#include <string>
#include <string_view>

namespace flowpool::detail {

/// The whole text of the file at @p path. Throws ConfigError naming the path if it cannot be
/// opened or read, is a directory, or is larger than max_graph_file_bytes.
std::string read_graph_text(const std::string& path);

/// Throws ConfigError at the first NUL byte or invalid UTF-8 sequence of @p text (@p file
/// names it), so binary input gets one clear error instead of a parser's guess.
void check_utf8_text(std::string_view text, const std::string& file);

}  // namespace flowpool::detail

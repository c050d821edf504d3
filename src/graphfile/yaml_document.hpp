#pragma once
// A graph or test file's YAML: its one document, and where things are in it.

#include <yaml-cpp/yaml.h>

#include <flowpool/error.hpp>
#include <string>

namespace flowpool::detail {

/// Where @p mark is in @p file, 1-based; the file's start for a null mark.
SourceLocation location(const std::string& file, const YAML::Mark& mark);

/// The YAML document of @p text, read from @p file. Throws what YAML::Load throws for text that
/// is not YAML, and ConfigError at a second document that holds anything: a file holds one,
/// and what follows a `---` would be ignored.
YAML::Node only_document(const std::string& text, const std::string& file);

}  // namespace flowpool::detail

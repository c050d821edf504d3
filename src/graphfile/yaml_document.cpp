#include "yaml_document.hpp"

#include <cstddef>
#include <vector>

namespace flowpool::detail {

SourceLocation location(const std::string& file, const YAML::Mark& mark) {
    if (mark.is_null()) return SourceLocation{file, 1, 1};
    return SourceLocation{file, mark.line + 1, mark.column + 1};
}

YAML::Node only_document(const std::string& text, const std::string& file) {
    std::vector<YAML::Node> documents = YAML::LoadAll(text);
    if (documents.empty()) return YAML::Node{};
    for (std::size_t i = 1; i < documents.size(); ++i) {
        if (documents[i].IsNull()) continue;  // a `---` or `...` with nothing after it
        throw ConfigError(location(file, documents[i].Mark()),
                          "a second YAML document starts here (after a '---'); a file holds one");
    }
    return documents.front();
}

}  // namespace flowpool::detail

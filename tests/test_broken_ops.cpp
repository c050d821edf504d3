// Ops and plugins that break their contract end in a clear error, never a crash or a silent
// loss: factories that make no body or throw anything, bodies that lose jobs, plugins whose
// entry points throw. The plugins are tests/plugin/'s, built into build/plugins/.

#include <gtest/gtest.h>

#include <flowpool/flowpool.hpp>
#include <flowpool/plugin.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "cli_runner.hpp"

namespace {

using flowpool::test::run_cli;

TEST(Plugins, TheReadmeNamesTheCurrentPluginAbi) {
    const std::string readme =
        flowpool::test::slurp(std::string(FLOWPOOL_SOURCE_DIR) + "/README.md");
    EXPECT_NE(readme.find("plugin ABI (" + std::to_string(flowpool::plugin_abi) + " since"),
              std::string::npos);
}

}  // namespace

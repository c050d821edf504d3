// Plugins listed in a graph file: dlopen() each, check it is a flowpool plugin of this ABI, and
// let it register its ops. Every failure is a ConfigError at the plugin's entry in the file.

#include <dlfcn.h>

#include <filesystem>
#include <flowpool/graph.hpp>
#include <flowpool/plugin.hpp>
#include <set>
#include <string>
#include <utility>

namespace flowpool {
namespace {

using AbiFunction = int (*)();
using RegisterFunction = void (*)(OpRegistry&);

/// @p path as dlopen() must get it: relative to the graph file's directory, and with a slash,
/// so that dlopen() never searches the library path for it.
std::string resolve_path(const std::string& path, const std::string& graph_file) {
    std::filesystem::path p(path);
    if (p.is_relative()) p = std::filesystem::path(graph_file).parent_path() / p;
    std::string text = p.lexically_normal().string();
    if (text.find('/') == std::string::npos) text = "./" + text;
    return text;
}

/// dlerror()'s text without the path it starts with, which the caller names already.
std::string load_error(const std::string& path) {
    const char* text = ::dlerror();
    std::string reason = text ? text : "unknown error";
    if (reason.rfind(path + ": ", 0) == 0) reason.erase(0, path.size() + 2);
    return reason;
}

/// A symbol of @p handle, or nullptr.
void* symbol(void* handle, const char* name) {
    ::dlerror();
    return ::dlsym(handle, name);
}

/// What the plugin's flowpool_plugin_abi() returns. It is the plugin's code, so it may throw
/// anything: that is an error at the plugin's entry too, as a failing registration is.
int built_for(const PluginSpec& plugin, const std::string& who, AbiFunction abi) {
    try {
        return abi();
    } catch (const std::exception& e) {
        throw ConfigError(plugin.where, who + ": flowpool_plugin_abi() threw: " + e.what());
    } catch (...) {
        throw ConfigError(plugin.where, who + ": flowpool_plugin_abi() threw an unknown exception");
    }
}

void load_plugin(const PluginSpec& plugin, const std::string& path, OpRegistry& ops) {
    const std::string who = "plugin '" + path + "'";
    // RTLD_NOW: a symbol the plugin needs but flowpool lacks is an error here, not a crash later.
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr)
        throw ConfigError(plugin.where, "cannot load " + who + ": " + load_error(path));
    const auto abi = reinterpret_cast<AbiFunction>(symbol(handle, "flowpool_plugin_abi"));
    const auto add_ops =
        reinterpret_cast<RegisterFunction>(symbol(handle, "flowpool_register_ops"));
    if (abi == nullptr || add_ops == nullptr) {
        throw ConfigError(plugin.where, who + " is not a flowpool plugin: it does not define " +
                                            (abi == nullptr ? "flowpool_plugin_abi()"
                                                            : "flowpool_register_ops()"));
    }
    if (const int abi_of_plugin = built_for(plugin, who, abi); abi_of_plugin != plugin_abi) {
        throw ConfigError(plugin.where,
                          who + " was built for plugin ABI " + std::to_string(abi_of_plugin) +
                              "; this flowpool loads ABI " + std::to_string(plugin_abi) +
                              " (rebuild it against this flowpool)");
    }
    try {
        add_ops(ops);
    } catch (const std::exception& e) {
        throw ConfigError(plugin.where, who + ": " + e.what());
    } catch (...) {
        throw ConfigError(plugin.where,
                          who + " threw an unknown exception while registering its ops");
    }
    // The handle is never closed: the registry now holds code from the library.
}

}  // namespace

void load_plugins(const GraphSpec& graph, OpRegistry& ops) {
    if (graph.plugins.empty()) return;
    // A plugin that throws half-way through registering, or one after it that fails, must not
    // leave ops behind in a registry an application goes on using: it gets back what it held.
    // Plugins register into @p ops itself, not a copy, so an op may keep a reference to it.
    OpRegistry before = ops;
    try {
        std::set<std::string> loaded;
        for (const PluginSpec& plugin : graph.plugins) {
            const std::string path = resolve_path(plugin.path, graph.file);
            std::error_code error;
            const std::filesystem::path canonical = std::filesystem::weakly_canonical(path, error);
            if (!loaded.insert(error ? path : canonical.string()).second) {
                throw ConfigError(plugin.where, "plugin '" + path + "' is listed twice");
            }
            load_plugin(plugin, path, ops);
        }
    } catch (...) {
        ops = std::move(before);
        throw;
    }
}

}  // namespace flowpool

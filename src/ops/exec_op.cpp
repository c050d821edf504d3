// The `exec` op: a program per job (program.hpp runs it). Its arguments are formats like the
// print sink's ({value}, {id}, {value.PATH}), each rendered into one argv element that no shell
// parses; its standard output becomes the job's value (text, one job per line, or JSON).

#include <flowpool/detail/job_loop.hpp>
#include <flowpool/error.hpp>
#include <flowpool/ops.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "builtin.hpp"
#include "common/log.hpp"
#include "data/json.hpp"
#include "format.hpp"
#include "piece_ids.hpp"
#include "program.hpp"

extern char** environ;  // NOLINT: POSIX declares it nowhere

namespace flowpool::detail {
namespace {

/// Throws std::invalid_argument unless @p name can name an environment variable: an empty name,
/// or one holding '=' (`A=B: x` would set A to "B=x") or a NUL byte, names nothing.
void check_env_name(const std::string& name) {
    if (name.empty() || name.find_first_of(std::string_view("=\0", 2)) != std::string::npos)
        throw std::invalid_argument("is no variable name (empty, or holding '=')");
}

/// What a program's standard output becomes.
enum class Output { text, lines, blocks, json };

/// The most bytes of whole lines in one job under `output: blocks` (a longer line is one alone).
constexpr std::size_t block_bytes = 64 * 1024;

/// The op's parameters, read once: formats parsed, the environment assembled.
struct ExecSpec {
    std::vector<LineFormat> argv;
    bool shell = false;
    std::optional<LineFormat> input;
    std::optional<LineFormat> cwd;
    std::vector<std::pair<std::string, LineFormat>> env;  // NAME, its format
    Output output = Output::text;
    bool pass_stderr = true;
    bool report_failures = false;
    bool keep_failed_output = false;  // a failed program's lines go on too

    /// True if its output is cut into pieces, each a job of its own.
    [[nodiscard]] bool in_pieces() const noexcept {
        return output == Output::lines || output == Output::blocks;
    }
    std::chrono::milliseconds timeout{0};
    std::chrono::milliseconds kill_grace{0};
    std::size_t max_output_bytes = 0;

    explicit ExecSpec(const Params& p)
        : shell(p.boolean("shell")),
          output(p.string("output") == "lines"    ? Output::lines
                 : p.string("output") == "blocks" ? Output::blocks
                 : p.string("output") == "json"   ? Output::json
                                                  : Output::text),
          pass_stderr(p.string("stderr") == "pass"),
          report_failures(p.boolean("report_failures")),
          keep_failed_output(p.string("failed_output") == "keep"),
          timeout(p.integer("timeout_ms")),
          kill_grace(p.integer("kill_grace_ms")),
          max_output_bytes(static_cast<std::size_t>(p.integer("max_output_bytes"))) {
        for (const std::string& arg : p.list("command")) argv.emplace_back(arg);
        if (!p.string("stdin").empty()) input.emplace(p.string("stdin"));
        if (!p.string("cwd").empty()) cwd.emplace(p.string("cwd"));
        for (const ParamItem& var : p.items("env")) {
            try {
                check_env_name(var.key);  // as validation did, for a graph built in C++
            } catch (const std::invalid_argument& error) {
                throw UsageError("env: '" + var.key.substr(0, var.key.find('\0')) + "' " +
                                 error.what());
            }
            env.emplace_back(var.key, var.text);
        }
    }

    /// The program run for one job: its arguments, input, directory and environment.
    ProgramSpec program_for(const Value& value, const JobContext& job,
                            std::vector<std::string>& env_storage) const {
        ProgramSpec spec;
        spec.timeout = timeout;
        spec.kill_grace = kill_grace;
        spec.max_output_bytes = max_output_bytes;
        for (const LineFormat& arg : argv) arg.render_text(spec.argv.emplace_back(), job, value);
        if (shell) shell_argv(spec.argv, value);
        if (input) input->render_text(spec.input.emplace(), job, value);
        if (cwd) cwd->render_text(spec.cwd, job, value);
        if (!env.empty()) {
            env_storage = environment(job, value);
            spec.env = &env_storage;
        }
        return spec;
    }

private:
    /// `sh -c 'LINE' flowpool VALUE`: the line the shell parses (formats pasted in: the risk
    /// `shell: true` takes), and the value as $1 for scripts that quote it ("$1").
    static void shell_argv(std::vector<std::string>& args, const Value& value) {
        std::string line;
        for (const std::string& arg : args) line += (line.empty() ? "" : " ") + arg;
        std::string text;
        append_value(text, value, true);  // a string as it is, newlines kept
        args = {"/bin/sh", "-c", std::move(line), "flowpool", std::move(text)};
    }

    /// flowpool's environment with `env:` set over it.
    std::vector<std::string> environment(const JobContext& job, const Value& value) const {
        std::vector<std::string> vars;
        for (char** var = environ; *var != nullptr; ++var) {
            const std::string_view text(*var);
            const std::string_view name = text.substr(0, text.find('='));
            bool replaced = false;
            for (const auto& [set, format] : env) replaced = replaced || name == set;
            if (!replaced) vars.emplace_back(text);
        }
        for (const auto& [name, format] : env) {
            std::string& var = vars.emplace_back(name + "=");
            format.render_text(var, job, value);
        }
        return vars;
    }
};

/// Copies @p text (a program's standard error, a failure) to flowpool's as one block, so that
/// two programs' lines never mix.
void to_stderr(const std::string& text) {
    if (text.empty()) return;
    static std::mutex mutex;
    std::string block = text;
    if (block.back() != '\n') block += '\n';
    const std::lock_guard lock(mutex);
    for (std::size_t done = 0; done < block.size();) {
        const ssize_t n = ::write(STDERR_FILENO, block.data() + done, block.size() - done);
        if (n <= 0 && errno == EINTR) continue;
        if (n <= 0) return;  // logging never fails a job
        done += static_cast<std::size_t>(n);
    }
}

/// Says on stderr that job @p id of @p node failed: `flowpool: node 'NODE' job ID: WHY`, or with
/// `--log-format json` a JSON log line at level error with the node and job.
void report_failure(std::string_view node, std::uint64_t id, const std::string& why) {
    if (log_is_json()) return log_job(spdlog::level::err, node, id, why);
    to_stderr("flowpool: node '" + std::string(node) + "' job " + std::to_string(id) + ": " + why);
}

/// The `exec` node's body: each job of a batch runs its program in turn, on the worker that
/// runs the batch; `concurrency` programs run at once (the runtime gives each worker of a node
/// that waits() a thread of its own).
class ExecStage final : public StageBody {
public:
    explicit ExecStage(const Params& p) : spec_(p) {}

    bool waits() const noexcept override { return true; }

    BatchPtr process(const BatchPtr& in, BatchContext& ctx) override {
        auto& jobs = static_cast<Items<Value>&>(*in);
        auto out = std::make_shared<Items<Value>>();
        out->derive_from(*in);
        out->reserve(jobs.size());
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            const JobContext job = job_context(*in, i, ctx);
            const std::size_t before = out->size();
            std::string failure = run_tries(jobs.values[i], job, *out, ctx);
            if (!failure.empty()) {
                // Jobs the stop left unrun are not news on stderr (`| head -1` prints nothing).
                if (spec_.report_failures && failure != not_started_text) {
                    report_failure(ctx.node(), job.id(), failure);
                }
                fail_job(ctx, job.id(), jobs.values[i], std::move(failure));
                ctx.jobs_made(out->size() - before);  // failed_output: keep
            } else if (spec_.in_pieces()) {
                ctx.jobs_merged(1);
                ctx.jobs_made(out->size() - before);
            }
        }
        return out;
    }

private:
    /// Runs job @p job's program, again while it fails and the node's tries last; the last
    /// failure, or "". A job whose output lines could not be numbered fails before it runs.
    std::string run_tries(const Value& value, const JobContext& job, Items<Value>& out,
                          BatchContext& ctx) const {
        if (spec_.in_pieces()) {
            if (std::string why = PieceIds::problem(job.id()); !why.empty()) return why;
        }
        // A stopping run (a failure limit passed, `on_error: fail`, a signal) starts no more
        // programs, as GNU parallel's --halt soon: the jobs already in the node's queue fail
        // unrun, and a resumed run runs them (a failure while stopping is not journaled).
        if (ctx.stop_requested()) return std::string(not_started_text);
        std::string failed_out;  // what the last try that failed wrote to standard output
        for (int attempt = 1;; ++attempt) {
            std::string failure = run(value, job, out, failed_out);
            if (failure.empty()) return failure;
            if (attempt >= ctx.attempts() || ctx.stop_requested()) {
                // Not once the run is stopping: a job that fails then (its program killed by the
                // stop) is not journaled, and a resumed run would print its lines again.
                if (spec_.keep_failed_output && !ctx.stop_requested())
                    static_cast<void>(add_pieces(failed_out, job.id(), out));
                return failure;
            }
            if (!ctx.before_retry(attempt + 1)) return failure;  // the run began to stop
        }
    }

    /// Runs job @p job's program and adds what it made to @p out; the failure, or "" (then
    /// what the program wrote to standard output is in @p failed_out).
    std::string run(const Value& value, const JobContext& job, Items<Value>& out,
                    std::string& failed_out) const {
        failed_out.clear();
        std::vector<std::string> env;
        ProgramSpec program;
        try {
            program = spec_.program_for(value, job, env);
        } catch (const std::exception& error) {
            return error.what();  // a {value.PATH} the value does not have
        }
        ProgramResult result = run_program(program);
        if (spec_.pass_stderr) to_stderr(result.err);
        if (!result.ok()) {
            failed_out = std::move(result.out);
            return failure_message(result, program);
        }
        switch (spec_.output) {
            case Output::text:
                if (!result.out.empty() && result.out.back() == '\n') result.out.pop_back();
                out.ids.push_back(job.id());
                out.values.emplace_back(std::move(result.out));
                return {};
            case Output::json:
                return add_json(result.out, job.id(), out);
            case Output::lines:
            case Output::blocks:
                return add_pieces(result.out, job.id(), out);
        }
        return {};
    }

    static std::string add_json(const std::string& text, std::uint64_t id, Items<Value>& out) {
        Value parsed;
        JsonError error;
        if (!parse_json(text, parsed, error)) {
            return "its output is not JSON at byte " + std::to_string(error.offset + 1) + ": " +
                   error.reason;
        }
        out.ids.push_back(id);
        out.values.push_back(std::move(parsed));
        return {};
    }

    /// One job per line (`output: lines`), or per run of whole lines up to block_bytes
    /// (`blocks`, without the last line's newline): piece i of job j has the id j * 2^20 + i,
    /// as `explode` numbers pieces (run_tries() checked that job @p id's can be).
    std::string add_pieces(const std::string& text, std::uint64_t id, Items<Value>& out) const {
        if (text.empty()) return {};
        const std::size_t before = out.size();
        const std::size_t most = spec_.output == Output::blocks ? block_bytes : 0;
        PieceIds pieces(id);
        for (std::size_t at = 0; at < text.size();) {
            std::size_t end = text.find('\n', at);
            if (end == std::string::npos) end = text.size();
            // More lines into the block while they fit (a line is never cut).
            while (end + 1 < text.size() && end + 1 - at < most) {
                std::size_t next = text.find('\n', end + 1);
                if (next == std::string::npos) next = text.size();
                if (next - at > most) break;
                end = next;
            }
            if (pieces.full()) {
                out.ids.resize(before);
                out.values.resize(before);
                return most == 0 ? "its output has more than 2^20 lines"
                                 : "its output has more than 2^20 blocks of lines";
            }
            out.ids.push_back(pieces.next());
            out.values.emplace_back(text.substr(at, end - at));
            at = end + 1;
        }
        return {};
    }

    ExecSpec spec_;
};

/// True if @p path names a file this process may execute.
bool executable(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

/// Why `command[0]` may not start, known before the run: a program not on PATH, or a path that
/// names no program. Empty for a format ({value}: known only per job) or under `shell: true`.
std::string program_warning(const std::string& program, const Params& params) {
    if (params.boolean("shell") || program.find('{') != std::string::npos) return {};
    if (program.empty()) return "the program is empty: its jobs will fail";
    if (program.find('/') != std::string::npos) {
        if (executable(program)) return {};
        return "program '" + program + "' does not exist or is not executable";
    }
    const char* path = std::getenv("PATH");
    const std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    for (std::size_t at = 0; at <= dirs.size();) {
        std::size_t end = dirs.find(':', at);
        if (end == std::string::npos) end = dirs.size();
        const std::string dir = end == at ? "." : dirs.substr(at, end - at);
        if (executable(dir + "/" + program)) return {};
        at = end + 1;
    }
    return "program '" + program +
           "' is not on PATH: its jobs will fail unless it is there when the graph runs";
}

}  // namespace

void add_exec_ops(OpRegistry& ops) {
    ops.add(
        {.name = "exec",
         .kind = NodeKind::function,
         .description = "runs a program per job (no shell): its standard output is the job's new "
                        "value; `concurrency` programs at once",
         .params =
             {{.name = "command",
               .type = ParamType::list,
               .description = "[PROGRAM, ARG, ...]: each a format ({value}, {id}, "
                              "{value.FIELD}) that becomes one argument, never parsed by a shell",
               .check = check_format,
               .warn = program_warning,
               .min_items = 1},
              {.name = "shell",
               .type = ParamType::boolean,
               .default_value = "false",
               .description = "run the command's elements, joined by spaces, with /bin/sh -c "
                              "(the value is also $1): a value can then run commands of its own"},
              {.name = "stdin",
               .type = ParamType::string,
               .default_value = "",
               .description = "a format written to the program's standard input; "
                              "empty: /dev/null",
               .check = check_format},
              {.name = "output",
               .type = ParamType::string,
               .default_value = "text",
               .description = "text (without its final newline), lines (one job per line, "
                              "ids as explode's), blocks (as lines, whole lines up to 64 KiB "
                              "a job) or json",
               .check =
                   [](const std::string& text) {
                       if (text != "text" && text != "lines" && text != "blocks" && text != "json")
                           throw std::invalid_argument("must be text, lines, blocks or json");
                   }},
              {.name = "env",
               .type = ParamType::map,
               .default_value = "",
               .description = "NAME: FORMAT, ... set in the program's environment",
               .check = check_format,
               .check_key = check_env_name},
              {.name = "cwd",
               .type = ParamType::string,
               .default_value = "",
               .description = "a format: the program's working directory; empty: flowpool's",
               .check = check_format},
              {.name = "timeout_ms",
               .type = ParamType::integer,
               .default_value = "0",
               .description = "kill the program's process group after this long (SIGTERM, then "
                              "SIGKILL after kill_grace_ms); 0: no limit",
               .check = check_milliseconds},
              {.name = "kill_grace_ms",
               .type = ParamType::integer,
               .default_value = "1000",
               .description = "between SIGTERM and SIGKILL when a program timed out",
               .check = check_milliseconds},
              {.name = "max_output_bytes",
               .type = ParamType::integer,
               .default_value = "16777216",
               .description = "more standard output fails the job (the program is killed)",
               .check = check_positive},
              {.name = "report_failures",
               .type = ParamType::boolean,
               .default_value = "false",
               .description = "write each failed job's error to standard error as it happens "
                              "(useful with on_error: skip)"},
              {.name = "failed_output",
               .type = ParamType::string,
               .default_value = "drop",
               .description = "with output: lines or blocks, keep: the lines a program that "
                              "failed wrote go on (its job fails too), as xargs and GNU parallel "
                              "print them; drop: they are lost with the job",
               .check =
                   [](const std::string& text) {
                       if (text != "drop" && text != "keep")
                           throw std::invalid_argument("must be drop or keep");
                   },
               .check_with_others =
                   [](const std::string& text, const Params& p) {
                       const std::string output = p.string("output");
                       if (text == "keep" && output != "lines" && output != "blocks")
                           throw std::invalid_argument("keep takes output: lines or blocks");
                   }},
              {.name = "stderr",
               .type = ParamType::string,
               .default_value = "pass",
               .description = "pass (each program's standard error copied whole to flowpool's "
                              "when it ends) or drop; a failed job's error quotes its last 4 KiB",
               .check =
                   [](const std::string& text) {
                       if (text != "pass" && text != "drop")
                           throw std::invalid_argument("must be pass or drop");
                   }}},
         .takes = ValueType::any,
         .gives = ValueType::any,
         .make_stage = [](const Params& p) -> std::unique_ptr<StageBody> {
             return std::make_unique<ExecStage>(p);
         }});
}

}  // namespace flowpool::detail

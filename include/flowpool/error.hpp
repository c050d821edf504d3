#pragma once
/// @file error.hpp
/// The one error root of flowpool and its four branches.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace flowpool {

/// Root of every error flowpool throws.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The caller used the API or the CLI wrongly (bad flag, pipeline run twice, ...). Exit code 2.
class UsageError : public Error {
public:
    using Error::Error;
};

/// Where a value of a graph file came from: `FILE:LINE:COL`, 1-based; line 0 means "no position".
struct SourceLocation {
    std::string file;  ///< path as given, or a pseudo-file such as `--set`
    int line = 0;      ///< 1-based line, 0 when unknown
    int column = 0;    ///< 1-based column, 0 when unknown

    /// `FILE:LINE:COL`, or just `FILE` when the position is unknown.
    [[nodiscard]] std::string to_string() const;
};

/// A graph file (or an override of it) is wrong. Carries every problem found. Exit code 2.
class ConfigError : public Error {
public:
    /// One problem at one place.
    struct Problem {
        SourceLocation where;  ///< where the problem is
        std::string message;   ///< what is wrong, without the position
    };

    /// One problem.
    ConfigError(SourceLocation where, const std::string& message);
    /// Several problems, reported together; @p problems must not be empty.
    explicit ConfigError(std::vector<Problem> problems);

    /// Every problem, in the order found.
    [[nodiscard]] const std::vector<Problem>& problems() const noexcept { return problems_; }

private:
    std::vector<Problem> problems_;
};

/// A source's input cannot be read on: a read error, or compressed data that is truncated or
/// corrupt. What it held after that point is lost with no job to count it in, so a source that
/// throws it from SourceBody::next() fails the run whatever its on_error (which decides what
/// becomes of jobs that fail, not of input never made into jobs): the run stops, and reports it
/// as the failure of the job the source would have made next. Exit code 1.
class InputError : public Error {
public:
    using Error::Error;
};

/// A job failed in a node: names the node and the job id. Exit code 1.
class JobError : public Error {
public:
    /// The job id of a failure that is no job's: a sink's finish() or a stage's end-of-run
    /// flush() that threw with no job of its own to blame (`node 'out': at the end of the run:
    /// ...`, no `job N`). It counts as one failed job all the same, so that a run that fails
    /// says so in its figures. No job has this id: flowpool's sources and derived ids stop
    /// below it, and a source body must too (SourceBody::next).
    static constexpr std::uint64_t no_job = UINT64_MAX;

    /// @param failed_jobs how many jobs failed in the whole run (this one is the first)
    JobError(std::string node, std::uint64_t job_id, std::string message,
             std::uint64_t failed_jobs = 1);

    /// The node whose body failed.
    [[nodiscard]] const std::string& node() const noexcept { return node_; }
    /// The id of the (first) failed job, or no_job.
    [[nodiscard]] std::uint64_t job_id() const noexcept { return job_id_; }
    /// The failure's own text, without the node and job prefix.
    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
    /// How many jobs failed in the run.
    [[nodiscard]] std::uint64_t failed_jobs() const noexcept { return failed_jobs_; }

private:
    std::string node_;
    std::uint64_t job_id_;
    std::string reason_;
    std::uint64_t failed_jobs_;
};

}  // namespace flowpool

#pragma once
/// @file flowpool.hpp
/// Everything an application needs: the typed pipeline API, graph files and the op registry.

#include <flowpool/body.hpp>
#include <flowpool/custom_op.hpp>
#include <flowpool/error.hpp>
#include <flowpool/graph.hpp>
#include <flowpool/job_context.hpp>
#include <flowpool/journal.hpp>
#include <flowpool/log.hpp>
#include <flowpool/ops.hpp>
#include <flowpool/pipeline.hpp>
#include <flowpool/source_op.hpp>
#include <flowpool/stats.hpp>
#include <flowpool/value.hpp>
#include <flowpool/version.hpp>

// --backend auto|cpu|vulkan, --device N, --gpu-layers N (-ngl, --n-gpu-layers),
// --no-repack (-nr) and --precision exact|fast: accepted by every subcommand
// that loads a model. main() takes them out of argv before dispatching;
// load_model() applies the first four to loom_model_params, new_context()
// the last to loom_context_params.
#pragma once

#include "loom.h"

namespace cli {

// Removes the backend options from argv (wherever they are) and remembers
// them. False (after printing a usage error) for a bad value.
bool take_backend_args(int *argc, char **argv);

// Sets params->backend / device_index / n_gpu_layers / weights_in_place from what take_backend_args saw.
void apply_backend_args(loom_model_params *params);

// Sets params->matmul_precision if --precision was given.
void apply_precision_arg(loom_context_params *params);

} // namespace cli

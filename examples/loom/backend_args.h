// --backend auto|cpu|vulkan and --device N: accepted by every subcommand that
// loads a model. main() takes them out of argv before dispatching, and
// load_model() applies them to loom_model_params.
#pragma once

#include "loom.h"

namespace cli {

// Removes the backend options from argv (wherever they are) and remembers
// them. False (after printing a usage error) for a bad value.
bool take_backend_args(int *argc, char **argv);

// Sets params->backend / device_index from what take_backend_args saw.
void apply_backend_args(loom_model_params *params);

} // namespace cli

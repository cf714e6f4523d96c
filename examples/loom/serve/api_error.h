// An error answered to an HTTP client in the OpenAI shape:
// {"error": {"message", "type", "param", "code"}} with its HTTP status.
#pragma once

#include <stdexcept>
#include <string>

namespace serve {

struct ApiError : std::runtime_error {
    int status;
    std::string type, param, code;

    ApiError(int status_, std::string type_, const std::string &message, std::string param_ = "",
             std::string code_ = "")
        : std::runtime_error(message), status(status_), type(std::move(type_)), param(std::move(param_)),
          code(std::move(code_)) {}
};

// 400 invalid_request_error naming the field.
inline ApiError bad_field(const std::string &field, const std::string &what) {
    return ApiError(400, "invalid_request_error", "'" + field + "': " + what, field);
}

} // namespace serve

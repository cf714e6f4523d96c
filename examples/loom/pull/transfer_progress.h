// The download display of `loom pull` on stderr: on a terminal, one line
// redrawn at most 10 times a second (percent, bytes, rate, time left);
// otherwise (a log, a pipe) a line at each 10% and one at the end.
#pragma once

#include <chrono>
#include <string>

namespace cli {

class TransferProgress {
public:
    // `total`: the file's size (-1: unknown); `start`: bytes already on disk (a resumed .part).
    TransferProgress(std::string label, long long total, long long start);
    // `done`: bytes on disk now, resumed ones included.
    void update(long long done);
    // The last line (and a newline on a terminal).
    void finish(long long done);
    // The transfer stopped early: ends a terminal's line.
    void cut();

private:
    void draw(long long done, bool last);
    std::string label_;
    long long total_, start_;
    bool tty_;
    int last_tenth_ = -1;
    std::chrono::steady_clock::time_point t0_, last_draw_;
};

// 1536 -> "1.5 KiB".
std::string byte_text(double bytes);

} // namespace cli

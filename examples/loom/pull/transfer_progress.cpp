#include "transfer_progress.h"

#include "cli.h"

#include <cstdio>

namespace cli {

std::string byte_text(double bytes) {
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) bytes /= 1024, u++;
    char buf[32];
    std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}

TransferProgress::TransferProgress(std::string label, long long total, long long start)
    : label_(std::move(label)), total_(total), start_(start), tty_(stderr_is_terminal()),
      t0_(std::chrono::steady_clock::now()), last_draw_(t0_) {
    if (start > 0) std::fprintf(stderr, "loom: resuming %s at %s\n", label_.c_str(), byte_text(double(start)).c_str());
}

void TransferProgress::update(long long done) {
    const auto now = std::chrono::steady_clock::now();
    if (tty_) {
        if (now - last_draw_ < std::chrono::milliseconds(100)) return;
        last_draw_ = now;
        draw(done, false);
        return;
    }
    if (total_ <= 0) return;
    const int tenth = int(done * 10 / total_);
    if (tenth <= last_tenth_ || tenth >= 10) return;   // 100% is finish's line
    last_tenth_ = tenth;
    if (tenth > 0) draw(done, false);
}

void TransferProgress::finish(long long done) { draw(done, true); }

void TransferProgress::cut() {
    if (tty_) std::fputc('\n', stderr);
}

void TransferProgress::draw(long long done, bool last) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    const double rate = secs > 0 ? double(done - start_) / secs : 0;
    std::string line = "loom: " + label_ + " ";
    char buf[64];
    if (total_ > 0) {
        std::snprintf(buf, sizeof buf, "%3d%% ", int(done * 100 / total_));
        line += buf + byte_text(double(done)) + " / " + byte_text(double(total_));
    } else {
        line += byte_text(double(done));
    }
    line += "  " + byte_text(rate) + "/s";
    if (!last && total_ > 0 && rate > 0) {
        const long long left = (long long)(double(total_ - done) / rate);
        std::snprintf(buf, sizeof buf, "  ETA %lld:%02lld", left / 60, left % 60);
        line += buf;
    } else if (last) {
        std::snprintf(buf, sizeof buf, "  in %.1f s", secs);
        line += buf;
    }
    if (tty_) std::fprintf(stderr, "\r%-79s%s", line.c_str(), last ? "\n" : "");
    else std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
}

} // namespace cli

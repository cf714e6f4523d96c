// Replays a fuzz target over files and directories of inputs (the committed
// corpora and every finding): the unit suite runs each target this way, so
// what the fuzzer found once stays fixed. Exit 0 when all ran.
#include <cstdint>
#include <cstdio>
#include <dirent.h>
#include <string>
#include <sys/stat.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool replay_file(const std::string &path) {
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    std::vector<uint8_t> bytes;
    uint8_t chunk[65536];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
    std::fclose(f);
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    return true;
}

static int replay(const std::string &path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) return replay_file(path) ? 1 : -1;
    DIR *d = opendir(path.c_str());
    if (!d) return -1;
    int count = 0;
    while (dirent *e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        const int n = replay(path + "/" + e->d_name);
        if (n < 0) count = -1;
        if (count >= 0) count += n;
    }
    closedir(d);
    return count;
}

int main(int argc, char **argv) {
    int total = 0;
    for (int i = 1; i < argc; i++) {
        const int n = replay(argv[i]);
        if (n <= 0) {
            std::fprintf(stderr, "replay: no readable inputs in %s\n", argv[i]);
            return 1;
        }
        total += n;
    }
    LLVMFuzzerTestOneInput(nullptr, 0);
    std::printf("replayed %d inputs\n", total);
    return 0;
}

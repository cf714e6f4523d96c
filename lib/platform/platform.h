// The operating system, in one place: every call that differs between POSIX
// and Windows goes through here (platform_posix.cpp / platform_win32.cpp; the
// build picks one). Paths are UTF-8 everywhere; on Windows they are widened
// before they reach the OS, so a model under "C:\Users\Zoë" opens.
//
// Nothing here logs, aborts or throws; failures come back as a Status (IO
// with the OS's own text) or as nullptr plus a reason.
#pragma once

#include "common/status.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace loom::platform {

// ---- files ---------------------------------------------------------------

// A file opened read-only, for reading at offsets or mapping whole.
class ReadOnlyFile {
public:
    ReadOnlyFile() = default;
    ReadOnlyFile(const ReadOnlyFile &) = delete;
    ReadOnlyFile &operator=(const ReadOnlyFile &) = delete;
    ~ReadOnlyFile();

    // Opens `path` and reads its type and size. Errors: IO "cannot open/stat
    // '<path>': <os text>".
    Status open(const std::string &path);
    bool is_regular() const { return regular_; }
    uint64_t size() const { return size_; }

    // Reads up to n bytes at offset into dst; *got = 0 at end of file. Retries
    // interrupted reads. Errors: IO "cannot read '<path>': <os text>".
    Status read_at(uint64_t offset, void *dst, size_t n, size_t *got) const;

    // Maps the whole file read-only (copy-on-write private on POSIX). Returns
    // nullptr and the OS's reason in *why when the file cannot be mapped.
    // The mapping outlives this object; release it with unmap_file.
    void *map_whole(std::string *why) const;

private:
    std::string path_;
    intptr_t handle_ = -1;  // a POSIX descriptor or a Windows HANDLE
    bool regular_ = false;
    uint64_t size_ = 0;
};

// Releases a mapping made by ReadOnlyFile::map_whole (size: the file's size).
void unmap_file(void *base, size_t size);

// The granularity of page residency (4096 on x86-64 Linux and Windows).
size_t page_size();

// Drops whole pages [p, p + n) of a read-only file mapping from memory; they
// fault back in from the file when touched. Only residency changes; failure
// changes nothing. p and n must be page-aligned.
void drop_mapped_pages(void *p, size_t n);

// Zero-filled anonymous memory of `size` bytes (> 0) for data every decode
// streams (the CPU backend's weight copies): page-aligned, and on Linux
// 2 MiB-aligned when at least 2 MiB, with its whole 2 MiB parts advised
// for transparent huge pages (madvise MADV_HUGEPAGE; a TLB entry then
// covers 2 MiB instead of 4 KiB). Pages take memory when first written.
// nullptr when refused. Free with free_pages(p, size).
void *alloc_pages(size_t size);
void free_pages(void *p, size_t size);
// The memory alloc_pages(size) takes once every byte is written: size
// rounded up to page_size().
size_t pages_bytes(size_t size);

// Readahead of page-aligned [p, p + n) of a file mapping: random (a fault
// reads only its page) or the default (the OS reads around a fault, e.g.
// read_ahead_kb = 8 MiB on a virtio disk). A hint: failure changes nothing.
void advise_random_access(void *p, size_t n, bool random);

// fopen of a UTF-8 path (_wfopen on Windows). errno is set on failure.
FILE *fopen_utf8(const char *path, const char *mode);

// The whole file at a UTF-8 path (portable, on fopen_utf8: platform_files.cpp).
// Errors: IO "cannot open '<path>': <os text>" / "cannot read '<path>': ...".
Status read_whole_file(const std::string &path, std::vector<uint8_t> *out);

// Renames `from` over `to`, replacing `to` if it exists (std::rename does not
// replace on Windows). False on failure.
bool replace_file(const std::string &from, const std::string &to);

// ---- memory --------------------------------------------------------------

// `size` bytes aligned to `align` (a power of two; size a multiple of it);
// nullptr when out of memory. Free with aligned_free, never std::free.
void *aligned_malloc(size_t align, size_t size);
void aligned_free(void *p);

// The machine's physical memory in bytes; 0 when it cannot be read.
uint64_t physical_memory_bytes();
// The smallest limit the OS puts on this process's memory in bytes (Linux:
// the cgroup v1/v2 memory limits of the process's own cgroup and its
// ancestors, from /proc/self/cgroup, and RLIMIT_AS; Windows: none, a job
// object's limit is not read); 0 when there is none.
uint64_t process_memory_limit();

#ifndef _WIN32
// The cgroup part of process_memory_limit: the tightest memory limit of the
// cgroups named in `proc_cgroup` (a file in /proc/self/cgroup's format) and
// their ancestors, under the mount `sys_root` (v2: sys_root/PATH/memory.max;
// v1: sys_root/memory/PATH/memory.limit_in_bytes); 0 when there is none.
uint64_t cgroup_memory_limit(const std::string &proc_cgroup, const std::string &sys_root);
#endif

// ---- shared libraries ----------------------------------------------------

// Opens a shared library by name or path (dlopen RTLD_NOW|RTLD_LOCAL;
// LoadLibraryExW on Windows, bare names searched in the application folder
// and the system folders only, never the current folder). nullptr and the
// OS's reason in *why on failure.
void *open_library(const char *name, std::string *why);
// An exported symbol of a library from open_library, or nullptr.
void *library_symbol(void *lib, const char *name);
// Closes a library from open_library; NULL is ignored.
void close_library(void *lib);

} // namespace loom::platform

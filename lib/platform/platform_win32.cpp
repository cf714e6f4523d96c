// platform.h on Windows (built with mingw-w64 or MSVC). UTF-8 paths are
// widened with MultiByteToWideChar and opened with the W functions; OS error
// texts come from FormatMessageW, narrowed back to UTF-8.
#include "platform/platform.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <cerrno>
#include <malloc.h>

namespace loom::platform {

namespace {

std::wstring widen(const char *s) {
    int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, nullptr, 0);
    if (n <= 0) return std::wstring();
    std::wstring w(static_cast<size_t>(n), L'\0');
    MultiByteToWideChar(CP_UTF8, 0, s, -1, &w[0], n);
    w.resize(static_cast<size_t>(n - 1));
    return w;
}

std::string narrow(const wchar_t *w) {
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, nullptr, 0, nullptr, nullptr);
    if (n <= 0) return std::string();
    std::string s(static_cast<size_t>(n), '\0');
    WideCharToMultiByte(CP_UTF8, 0, w, -1, &s[0], n, nullptr, nullptr);
    s.resize(static_cast<size_t>(n - 1));
    return s;
}

// The system's message for a GetLastError() code, without its trailing CR LF.
std::string error_text(DWORD code) {
    wchar_t *buf = nullptr;
    DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                                 FORMAT_MESSAGE_IGNORE_INSERTS,
                             nullptr, code, 0, reinterpret_cast<wchar_t *>(&buf), 0, nullptr);
    std::string s = n && buf ? narrow(buf) : "Windows error " + std::to_string(code);
    if (buf) LocalFree(buf);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

Status io_error(const char *what, const std::string &path, DWORD code) {
    return error(LOOM_ERR_IO, "cannot %s '%s': %s", what, path.c_str(), error_text(code).c_str());
}

HANDLE as_handle(intptr_t h) { return reinterpret_cast<HANDLE>(h); }

} // namespace

ReadOnlyFile::~ReadOnlyFile() {
    if (handle_ != -1) CloseHandle(as_handle(handle_));
}

Status ReadOnlyFile::open(const std::string &path) {
    path_ = path;
    // FILE_SHARE_DELETE: others may rename or delete the file while it is open,
    // as on POSIX (the mapping keeps the bytes).
    HANDLE h = CreateFileW(widen(path.c_str()).c_str(), GENERIC_READ,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                           FILE_ATTRIBUTE_NORMAL | FILE_FLAG_BACKUP_SEMANTICS, nullptr);
    if (h == INVALID_HANDLE_VALUE) return io_error("open", path, GetLastError());
    handle_ = reinterpret_cast<intptr_t>(h);
    BY_HANDLE_FILE_INFORMATION info;
    if (!GetFileInformationByHandle(h, &info)) return io_error("stat", path, GetLastError());
    // FILE_FLAG_BACKUP_SEMANTICS lets a folder open, so it is reported as "not
    // a regular file" like on POSIX instead of "access denied".
    regular_ = (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) == 0 && GetFileType(h) == FILE_TYPE_DISK;
    size_ = (uint64_t(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
    return Status::ok();
}

Status ReadOnlyFile::read_at(uint64_t offset, void *dst, size_t n, size_t *got) const {
    OVERLAPPED ov{};
    ov.Offset = static_cast<DWORD>(offset);
    ov.OffsetHigh = static_cast<DWORD>(offset >> 32);
    const DWORD want = n > 0x40000000 ? 0x40000000 : static_cast<DWORD>(n);
    DWORD read = 0;
    if (!ReadFile(as_handle(handle_), dst, want, &read, &ov)) {
        const DWORD e = GetLastError();
        if (e != ERROR_HANDLE_EOF) return io_error("read", path_, e);
        read = 0;
    }
    *got = read;
    return Status::ok();
}

void *ReadOnlyFile::map_whole(std::string *why) const {
    HANDLE m = CreateFileMappingW(as_handle(handle_), nullptr, PAGE_READONLY, 0, 0, nullptr);
    if (!m) {
        *why = error_text(GetLastError());
        return nullptr;
    }
    void *view = MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0);
    if (!view) *why = error_text(GetLastError());
    CloseHandle(m); // the view keeps the mapping object alive
    return view;
}

void unmap_file(void *base, size_t) {
    if (base) UnmapViewOfFile(base);
}

size_t page_size() {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwPageSize ? si.dwPageSize : 4096;
}

// VirtualUnlock on pages that are not locked takes them out of the working
// set (it then reports ERROR_NOT_LOCKED, which is expected here).
void drop_mapped_pages(void *p, size_t n) { VirtualUnlock(p, n); }

void advise_random_access(void *, size_t, bool) {}   // no per-range readahead hint

size_t pages_bytes(size_t size) {
    const size_t page = page_size();
    return size > SIZE_MAX - page ? SIZE_MAX : (size + page - 1) / page * page;
}

// Large pages on Windows need SeLockMemoryPrivilege: plain committed pages.
void *alloc_pages(size_t size) {
    if (size == 0 || pages_bytes(size) == SIZE_MAX) return nullptr;
    return VirtualAlloc(nullptr, pages_bytes(size), MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

void free_pages(void *p, size_t) {
    if (p) VirtualFree(p, 0, MEM_RELEASE);
}

FILE *fopen_utf8(const char *path, const char *mode) {
    const std::wstring wpath = widen(path), wmode = widen(mode);
    if (wpath.empty() && path[0]) {
        errno = EINVAL; // not valid UTF-8
        return nullptr;
    }
    return _wfopen(wpath.c_str(), wmode.c_str());
}

bool replace_file(const std::string &from, const std::string &to) {
    return MoveFileExW(widen(from.c_str()).c_str(), widen(to.c_str()).c_str(),
                       MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) != 0;
}

void *aligned_malloc(size_t align, size_t size) { return _aligned_malloc(size, align); }

void aligned_free(void *p) { _aligned_free(p); }

void *open_library(const char *name, std::string *why) {
    const std::wstring w = widen(name);
    const bool has_path = w.find_first_of(L"\\/") != std::wstring::npos;
    // A bare name is looked up in the application's folder and System32, not
    // the current folder (no DLL planting); a path is loaded as given.
    HMODULE lib = LoadLibraryExW(w.c_str(), nullptr,
                                 has_path ? LOAD_WITH_ALTERED_SEARCH_PATH : LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
    if (!lib) *why = error_text(GetLastError());
    return reinterpret_cast<void *>(lib);
}

void *library_symbol(void *lib, const char *name) {
    return reinterpret_cast<void *>(GetProcAddress(static_cast<HMODULE>(lib), name));
}

void close_library(void *lib) {
    if (lib) FreeLibrary(static_cast<HMODULE>(lib));
}

uint64_t physical_memory_bytes() {
    MEMORYSTATUSEX st{};
    st.dwLength = sizeof st;
    return GlobalMemoryStatusEx(&st) ? uint64_t(st.ullTotalPhys) : 0;
}

uint64_t process_memory_limit() { return 0; }

} // namespace loom::platform

// UTF-8 coding and NFC normalization over the generated tables.
#include "tokenizer/unicode.h"

#include <algorithm>

namespace loom {
namespace unicode {

extern const uint16_t kCccStage1[];
extern const uint8_t kCccStage2[];
extern const uint64_t kDecompIndex[];
extern const uint32_t kDecompData[];
extern const uint64_t kComposeKey[];
extern const uint32_t kComposeValue[];
extern const uint32_t kDecompCount;
extern const uint32_t kComposeCount;

namespace {

// Hangul syllable arithmetic (Unicode Standard, section 3.12).
constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

bool in(uint8_t b, uint8_t lo, uint8_t hi) { return b >= lo && b <= hi; }

// The second byte's allowed range for a lead byte (Unicode Table 3-7).
bool second_ok(uint8_t lead, uint8_t b) {
    switch (lead) {
    case 0xE0: return in(b, 0xA0, 0xBF);
    case 0xED: return in(b, 0x80, 0x9F);
    case 0xF0: return in(b, 0x90, 0xBF);
    case 0xF4: return in(b, 0x80, 0x8F);
    default: return in(b, 0x80, 0xBF);
    }
}

// Appends the full canonical decomposition of cp.
void decompose(uint32_t cp, std::vector<uint32_t> *out) {
    if (cp >= kSBase && cp < kSBase + kSCount) {
        uint32_t s = cp - kSBase;
        out->push_back(kLBase + s / kNCount);
        out->push_back(kVBase + (s % kNCount) / kTCount);
        if (s % kTCount) out->push_back(kTBase + s % kTCount);
        return;
    }
    const uint64_t *begin = kDecompIndex, *end = kDecompIndex + kDecompCount;
    const uint64_t *it = std::lower_bound(begin, end, uint64_t(cp) << 32);
    if (it == end || (*it >> 32) != cp) {
        out->push_back(cp);
        return;
    }
    uint32_t off = uint32_t(*it & 0xFFFFFFFFu) >> 3, len = uint32_t(*it & 7);
    out->insert(out->end(), kDecompData + off, kDecompData + off + len);
}

// The primary composite of (a, b), or 0.
uint32_t compose(uint32_t a, uint32_t b) {
    if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
        return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
    if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
        return a + (b - kTBase);
    uint64_t key = (uint64_t(a) << 21) | b;
    const uint64_t *begin = kComposeKey, *end = kComposeKey + kComposeCount;
    const uint64_t *it = std::lower_bound(begin, end, key);
    return (it != end && *it == key) ? kComposeValue[it - begin] : 0;
}

// Stable sort of each run of non-starters by combining class.
void canonical_order(std::vector<uint32_t> *cps) {
    std::vector<uint32_t> &v = *cps;
    size_t i = 0;
    while (i < v.size()) {
        if (combining_class(v[i]) == 0) { ++i; continue; }
        size_t j = i;
        while (j < v.size() && combining_class(v[j]) != 0) ++j;
        std::stable_sort(v.begin() + i, v.begin() + j,
                         [](uint32_t a, uint32_t b) { return combining_class(a) < combining_class(b); });
        i = j;
    }
}

// Canonical composition (UAX #15): a character combines with the last
// starter unless a character of equal or higher class lies between them.
void canonical_compose(std::vector<uint32_t> *cps) {
    std::vector<uint32_t> &v = *cps;
    if (v.empty()) return;
    size_t starter = 0, out = 1;
    bool have_starter = combining_class(v[0]) == 0;
    int last_class = have_starter ? 0 : 256;  // class of the last character kept after the starter
    for (size_t i = 1; i < v.size(); ++i) {
        uint32_t ch = v[i];
        int cls = combining_class(ch);
        uint32_t composite = have_starter ? compose(v[starter], ch) : 0;
        if (composite && (last_class < cls || last_class == 0)) {
            v[starter] = composite;
            continue;
        }
        if (cls == 0) {
            starter = out;
            have_starter = true;
        }
        last_class = cls;
        v[out++] = ch;
    }
    v.resize(out);
}

} // namespace

uint8_t combining_class(uint32_t cp) {
    if (cp < 0x300 || cp >= 0x110000) return 0;
    return kCccStage2[(size_t(kCccStage1[cp >> 8]) << 8) | (cp & 0xFF)];
}

size_t utf8_sequence_length(uint8_t lead) {
    if (lead < 0x80) return 1;
    if (in(lead, 0xC2, 0xDF)) return 2;
    if (in(lead, 0xE0, 0xEF)) return 3;
    if (in(lead, 0xF0, 0xF4)) return 4;
    return 0;
}

uint32_t decode_utf8(const uint8_t *p, const uint8_t *end, size_t *len) {
    uint8_t b0 = p[0];
    size_t need = utf8_sequence_length(b0);
    if (need == 1) { *len = 1; return b0; }
    if (need == 0) { *len = 1; return kReplacement; }
    uint32_t cp = b0 & (0xFF >> (need + 1));
    size_t avail = size_t(end - p);
    for (size_t k = 1; k < need; ++k) {
        bool ok = k < avail && (k == 1 ? second_ok(b0, p[1]) : in(p[k], 0x80, 0xBF));
        if (!ok) { *len = k; return kReplacement; }  // maximal subpart: the k bytes so far
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    *len = need;
    return cp;
}

void decode_utf8(std::string_view text, std::vector<uint32_t> *out) {
    out->clear();
    out->reserve(text.size());
    const uint8_t *p = reinterpret_cast<const uint8_t *>(text.data()), *end = p + text.size();
    while (p < end) {
        if (*p < 0x80) { out->push_back(*p++); continue; }
        size_t len;
        out->push_back(decode_utf8(p, end, &len));
        p += len;
    }
}

bool is_nfc_quick(const std::vector<uint32_t> &cps) {
    for (uint32_t cp : cps)
        if (cp >= 0x300 && (flags(cp) & kNfcCheck)) return false;
    return true;
}

void nfc(std::vector<uint32_t> *cps) {
    if (is_nfc_quick(*cps)) return;
    std::vector<uint32_t> d;
    d.reserve(cps->size() + 16);
    for (uint32_t cp : *cps) decompose(cp, &d);
    canonical_order(&d);
    canonical_compose(&d);
    cps->swap(d);
}

} // namespace unicode
} // namespace loom

// NFC against the Unicode conformance suite (NormalizationTest.txt from
// Debian's unicode-data, the same Unicode version the tables come from).
// Exits 77 (skipped) when the file is not installed.
// Conformance: c2 == NFC(c1..c3), c4 == NFC(c4..c5), and every code point
// not listed in Part 1 is its own NFC.
#include "tokenizer/unicode.h"

#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>
#include <sstream>
#include <unistd.h>

using loom::unicode::nfc;

namespace {

const char *kTestFile = "/usr/share/unicode/NormalizationTest.txt.bz2";

std::vector<uint32_t> parse_column(const std::string &col) {
    std::vector<uint32_t> out;
    std::istringstream in(col);
    std::string hex;
    while (in >> hex) out.push_back(uint32_t(std::stoul(hex, nullptr, 16)));
    return out;
}

std::vector<uint32_t> nfc_of(std::vector<uint32_t> v) {
    nfc(&v);
    return v;
}

struct Conformance {
    std::vector<std::vector<std::vector<uint32_t>>> rows;  // 5 columns each
    std::set<uint32_t> part1;                              // code points listed in Part 1
};

const Conformance &conformance() {
    if (::access(kTestFile, R_OK) != 0) testdata::exit_missing(std::string(kTestFile) + " (unicode-data)");
    static Conformance c = [] {
        Conformance r;
        int st = 0;
        std::string text = testdata::capture(std::string("bzcat ") + kTestFile, &st);
        std::istringstream in(text);
        std::string line;
        bool in_part1 = false;
        while (std::getline(in, line)) {
            if (line.rfind("@Part", 0) == 0) in_part1 = line.rfind("@Part1", 0) == 0;
            if (line.empty() || line[0] == '#' || line[0] == '@') continue;
            std::vector<std::vector<uint32_t>> cols;
            std::istringstream fields(line);
            std::string f;
            for (int k = 0; k < 5 && std::getline(fields, f, ';'); ++k) cols.push_back(parse_column(f));
            if (cols.size() != 5) continue;
            if (in_part1 && cols[0].size() == 1) r.part1.insert(cols[0][0]);
            r.rows.push_back(std::move(cols));
        }
        return r;
    }();
    return c;
}

} // namespace

TEST_CASE("nfc_matches_every_normalization_test_row") {
    const Conformance &c = conformance();
    REQUIRE(c.rows.size() > 18000);
    size_t failures = 0;
    for (const auto &row : c.rows) {
        // c2 == NFC(c1) == NFC(c2) == NFC(c3); c4 == NFC(c4) == NFC(c5)
        bool ok = nfc_of(row[0]) == row[1] && nfc_of(row[1]) == row[1] && nfc_of(row[2]) == row[1] &&
                  nfc_of(row[3]) == row[3] && nfc_of(row[4]) == row[3];
        if (!ok && ++failures <= 5) {
            std::ostringstream msg;
            for (uint32_t cp : row[0]) msg << std::hex << cp << ' ';
            UNSCOPED_INFO("row with source " << msg.str());
        }
    }
    CHECK(failures == 0);
}

TEST_CASE("nfc_leaves_code_points_outside_part1_unchanged") {
    const Conformance &c = conformance();
    REQUIRE(c.part1.size() > 1000);
    size_t failures = 0;
    for (uint32_t cp = 0; cp < 0x110000; ++cp) {
        if ((cp >= 0xD800 && cp <= 0xDFFF) || c.part1.count(cp)) continue;
        if (nfc_of({cp}) != std::vector<uint32_t>{cp} && ++failures <= 5) UNSCOPED_INFO("changed: " << cp);
    }
    CHECK(failures == 0);
}

TEST_CASE("nfc_composes_hangul_jamo_and_blocks_after_equal_class") {
    // L V T -> one LVT syllable; LV + T -> LVT.
    CHECK(nfc_of({0x1100, 0x1161, 0x11A8}) == std::vector<uint32_t>{0xAC01});
    CHECK(nfc_of({0xAC00, 0x11A8}) == std::vector<uint32_t>{0xAC01});
    // a + grave(230) + acute(230): only the first composes.
    CHECK(nfc_of({'a', 0x300, 0x301}) == std::vector<uint32_t>{0xE0, 0x301});
    // canonical reordering: dot below (220) moves before acute (230), then both compose in turn.
    CHECK(nfc_of({'s', 0x307, 0x323}) == std::vector<uint32_t>{0x1E69});
}


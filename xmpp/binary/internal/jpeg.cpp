// SPDX-License-Identifier: MIT
// JPEG segment references: the Annex K tables are built once (the AC symbol lists from their
// standard prefixes followed by the remaining symbols in ascending order, which is how Annex K.3
// lists them), quantisation tables are compared per quality against the IJG scaling.
#include "xmpp/binary/internal/jpeg.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "xmpp/binary/format.h"

namespace tern::xmpp::binary {
namespace {

constexpr std::uint8_t kMarkerSos = 0xDA;
constexpr std::uint8_t kMarkerDht = 0xC4;
constexpr std::uint8_t kMarkerDqt = 0xDB;

// ITU-T T.81 Annex K.3: code counts per length (1..16) and the first AC symbols.
constexpr std::uint8_t kDcLumaBits[16] = {0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
constexpr std::uint8_t kDcChromaBits[16] = {0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
constexpr std::uint8_t kAcLumaBits[16] = {0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D};
constexpr std::uint8_t kAcChromaBits[16] = {0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77};
constexpr std::uint8_t kAcLumaHead[] = {
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61,
    0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52,
    0xD1, 0xF0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A};
constexpr std::uint8_t kAcChromaHead[] = {
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
    0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33, 0x52, 0xF0,
    0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18, 0x19, 0x1A};

// ITU-T T.81 Annex K.1, natural (row-major) order.
constexpr std::uint8_t kLumaQuant[64] = {
    16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
    14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
    18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
constexpr std::uint8_t kChromaQuant[64] = {
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99,
    99, 99, 47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};

// The payload of a one-table DHT segment after its Tc/Th byte: 16 counts, then the symbols.
std::vector<std::uint8_t> huffman_table(const std::uint8_t* bits, const std::uint8_t* head,
                                        std::size_t head_size, bool ac) {
  std::vector<std::uint8_t> t(bits, bits + 16);
  if (!ac) {
    for (std::uint8_t v = 0; v < 12; ++v) {
      t.push_back(v);
    }
    return t;
  }
  std::vector<std::uint8_t> symbols(head, head + head_size);
  std::vector<std::uint8_t> rest = {0x00, 0xF0};
  for (int run = 0; run < 16; ++run) {
    for (int size = 1; size <= 10; ++size) {
      rest.push_back(static_cast<std::uint8_t>(run << 4 | size));
    }
  }
  std::sort(rest.begin(), rest.end());
  for (std::uint8_t s : rest) {
    if (std::find(symbols.begin(), symbols.end(), s) == symbols.end()) {
      symbols.push_back(s);
    }
  }
  t.insert(t.end(), symbols.begin(), symbols.end());
  return t;
}

struct Tables {
  // [Tc][k]: Tc 0 = DC, 1 = AC; k 0 = luminance, 1 = chrominance.
  std::vector<std::uint8_t> huffman[2][2];
  std::array<std::uint8_t, 64> zigzag{};  // zigzag position -> natural index
  // [k][q - 1]: Annex K.1 table k scaled by IJG quality q, in zigzag order (jcparam.c).
  std::array<std::uint8_t, 64> quant[2][100]{};

  Tables() {
    huffman[0][0] = huffman_table(kDcLumaBits, nullptr, 0, false);
    huffman[0][1] = huffman_table(kDcChromaBits, nullptr, 0, false);
    huffman[1][0] = huffman_table(kAcLumaBits, kAcLumaHead, std::size(kAcLumaHead), true);
    huffman[1][1] = huffman_table(kAcChromaBits, kAcChromaHead, std::size(kAcChromaHead), true);
    std::size_t at = 0;
    for (int s = 0; s < 15; ++s) {
      int lo = std::max(0, s - 7);
      int hi = std::min(s, 7);
      for (int i = 0; i <= hi - lo; ++i) {
        int row = s % 2 == 0 ? hi - i : lo + i;
        zigzag[at++] = static_cast<std::uint8_t>(row * 8 + (s - row));
      }
    }
    for (int k = 0; k < 2; ++k) {
      for (int q = 1; q <= 100; ++q) {
        int scale = q < 50 ? 5000 / q : 200 - q * 2;
        for (std::size_t i = 0; i < 64; ++i) {
          int base = (k == 0 ? kLumaQuant : kChromaQuant)[zigzag[i]];
          quant[k][q - 1][i] =
              static_cast<std::uint8_t>(std::clamp((base * scale + 50) / 100, 1, 255));
        }
      }
    }
  }
};

const Tables& tables() {
  static const Tables instance;
  return instance;
}

bool standard_quant(std::string_view table, int& k, int& q) {
  const Tables& t_all = tables();
  for (k = 0; k < 2; ++k) {
    for (q = 1; q <= 100; ++q) {
      const auto& t = t_all.quant[k][q - 1];
      if (std::memcmp(t.data(), table.data(), 64) == 0) {
        return true;
      }
    }
  }
  return false;
}

int standard_huffman(int tc, std::string_view table) {
  for (int k = 0; k < 2; ++k) {
    const auto& t = tables().huffman[tc][k];
    if (table.size() == t.size() &&
        std::equal(t.begin(), t.end(), table.begin(),
                   [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); })) {
      return k;
    }
  }
  return -1;
}

void append_segment(std::string& out, std::uint8_t marker, std::size_t length) {
  out += '\xFF';
  out += static_cast<char>(marker);
  out += static_cast<char>((length + 2) >> 8);
  out += static_cast<char>((length + 2) & 0xFF);
}

}  // namespace

bool jpeg_write_items(std::string_view jpeg, Writer& out) {
  if (jpeg.size() < 4 || static_cast<std::uint8_t>(jpeg[0]) != 0xFF ||
      static_cast<std::uint8_t>(jpeg[1]) != 0xD8) {
    return false;
  }
  std::size_t at = 2;
  while (at + 4 <= jpeg.size() && static_cast<std::uint8_t>(jpeg[at]) == 0xFF) {
    auto marker = static_cast<std::uint8_t>(jpeg[at + 1]);
    std::size_t length =
        static_cast<std::uint8_t>(jpeg[at + 2]) << 8 | static_cast<std::uint8_t>(jpeg[at + 3]);
    if (marker == kMarkerSos || marker < 0xC0 || marker == 0xFF ||
        (marker >= 0xD0 && marker <= 0xD9) || length < 2 || at + 2 + length > jpeg.size()) {
      break;
    }
    std::string_view payload = jpeg.substr(at + 4, length - 2);
    int k = -1;
    int q = 0;
    if (marker == kMarkerDht && !payload.empty() &&
        (static_cast<std::uint8_t>(payload[0]) >> 4) <= 1 && (payload[0] & 0x0F) <= 3 &&
        (k = standard_huffman(static_cast<std::uint8_t>(payload[0]) >> 4, payload.substr(1))) >=
            0) {
      out.byte(jpeg::kStdHuffman);
      out.byte(static_cast<std::uint8_t>(payload[0]));
      out.byte(static_cast<std::uint8_t>(k));
    } else if (marker == kMarkerDqt && payload.size() == 65 &&
               static_cast<std::uint8_t>(payload[0]) <= 3 &&
               standard_quant(payload.substr(1), k, q)) {
      out.byte(jpeg::kStdQuant);
      out.byte(static_cast<std::uint8_t>(payload[0]));
      out.byte(static_cast<std::uint8_t>(k));
      out.byte(static_cast<std::uint8_t>(q));
    } else {
      out.byte(jpeg::kSegment);
      out.byte(marker);
      out.varint(payload.size());
      out.bytes(payload);
    }
    at += 2 + length;
  }
  out.byte(jpeg::kRest);
  out.varint(jpeg.size() - at);
  out.bytes(jpeg.substr(at));
  return true;
}

JpegRead jpeg_read_items(Reader& in, std::string& out, std::size_t max_size) {
  std::size_t start = out.size();
  out += "\xFF\xD8";
  for (;;) {
    std::uint8_t item = 0;
    std::uint8_t a = 0;
    std::uint8_t k = 0;
    if (!in.byte(item)) {
      return JpegRead::Malformed;
    }
    if (item == jpeg::kRest || item == jpeg::kSegment) {
      std::uint64_t length = 0;
      std::string_view bytes;
      if ((item == jpeg::kSegment && !in.byte(a)) || !in.varint(length) ||
          (item == jpeg::kSegment && length > 0xFFFD) || !in.bytes(length, bytes)) {
        return JpegRead::Malformed;
      }
      if (out.size() - start + length + 4 > max_size) {
        return JpegRead::TooLarge;
      }
      if (item == jpeg::kSegment) {
        append_segment(out, a, bytes.size());
      }
      out += bytes;
      if (item == jpeg::kRest) {
        return JpegRead::Ok;
      }
    } else if (item == jpeg::kStdHuffman) {
      if (!in.byte(a) || !in.byte(k) || (a >> 4) > 1 || (a & 0x0F) > 3 || k > 1) {
        return JpegRead::Malformed;
      }
      const auto& table = tables().huffman[a >> 4][k];
      if (out.size() - start + table.size() + 5 > max_size) {
        return JpegRead::TooLarge;
      }
      append_segment(out, kMarkerDht, table.size() + 1);
      out += static_cast<char>(a);
      out.append(table.begin(), table.end());
    } else if (item == jpeg::kStdQuant) {
      std::uint8_t q = 0;
      if (!in.byte(a) || !in.byte(k) || !in.byte(q) || a > 3 || k > 1 || q < 1 || q > 100) {
        return JpegRead::Malformed;
      }
      if (out.size() - start + 69 > max_size) {
        return JpegRead::TooLarge;
      }
      append_segment(out, kMarkerDqt, 65);
      out += static_cast<char>(a);
      const auto& table = tables().quant[k][q - 1];
      out.append(table.begin(), table.end());
    } else {
      return JpegRead::Malformed;
    }
  }
}

}  // namespace tern::xmpp::binary

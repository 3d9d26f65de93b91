// SPDX-License-Identifier: MIT
// The physical floor of one routed message (docs/performance.md): what the server cannot avoid
// per message, measured alone. A one-to-one message is read and decrypted once and encrypted
// and written once: AES-256-GCM (what TLS 1.3 negotiates with the server's cipher order) on a
// record of a typical chat message, and one write()/read() of that many bytes over loopback TCP.
// Everything else the server spends per message (parsing, routing, serializing, allocation, the
// event loop) is measured against these.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <vector>

namespace {

// A <message/> with a 64-byte body, as tern-bench sends it, plus the TLS 1.3 record's type byte.
constexpr std::size_t kRecordBytes = 230;

void AesGcmSeal(benchmark::State& state) {
  std::array<unsigned char, 32> key{};
  std::array<unsigned char, 12> iv{};
  std::vector<unsigned char> in(static_cast<std::size_t>(state.range(0)), 'x');
  std::vector<unsigned char> out(in.size() + 16);
  std::array<unsigned char, 16> tag{};
  std::array<unsigned char, 5> header{0x17, 0x03, 0x03, 0, 0};
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.data(), nullptr);
  for (auto _ : state) {
    ++iv[11];  // a new nonce per record, as TLS does
    int len = 0;
    EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, iv.data());
    EVP_EncryptUpdate(ctx, nullptr, &len, header.data(), static_cast<int>(header.size()));
    EVP_EncryptUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(in.size()));
    EVP_EncryptFinal_ex(ctx, out.data() + len, &len);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag.data());
    benchmark::DoNotOptimize(tag);
  }
  EVP_CIPHER_CTX_free(ctx);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(AesGcmSeal)->Arg(kRecordBytes)->Arg(4096);

// A connected loopback TCP pair (TCP_NODELAY, as the server sets it).
struct LoopbackPair {
  int sender = -1;
  int receiver = -1;
  LoopbackPair() {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener, 1);
    getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
    sender = socket(AF_INET, SOCK_STREAM, 0);
    connect(sender, reinterpret_cast<sockaddr*>(&address), sizeof address);
    receiver = accept(listener, nullptr, nullptr);
    close(listener);
    int one = 1;
    setsockopt(sender, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~LoopbackPair() {
    close(sender);
    close(receiver);
  }
  LoopbackPair(const LoopbackPair&) = delete;
  LoopbackPair& operator=(const LoopbackPair&) = delete;
};

// One write() of a record and the read() that takes it on the other side: both ends' syscalls,
// and the loopback TCP path between them (which runs in the sender's system time).
void LoopbackWriteRead(benchmark::State& state) {
  LoopbackPair pair;
  std::vector<char> record(static_cast<std::size_t>(state.range(0)), 'x');
  std::vector<char> buffer(65536);
  for (auto _ : state) {
    benchmark::DoNotOptimize(write(pair.sender, record.data(), record.size()));
    std::size_t got = 0;
    while (got < record.size()) {
      got += static_cast<std::size_t>(read(pair.receiver, buffer.data(), buffer.size()));
    }
  }
}
BENCHMARK(LoopbackWriteRead)->Arg(kRecordBytes)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();

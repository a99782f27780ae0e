// bench_forward: milliseconds per tile of the MUSE forward pass for each released variant at
// 224 and 512 px (batch 1 and 4), in float32 and bfloat16 side by side, the GFLOP/s achieved,
// the same process's GEMM GFLOP/s of each precision as the ceiling, and (with --reference) the
// official code's forward on the same LibTorch. The CPU and its native bfloat16 ISA come first.
//
//   build/bench/bench_forward                      # table on stdout
//   build/bench/bench_forward --reference --json out.json
//   build/bench/bench_forward --precisions fp32    # float32 only
#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include "bench_machine.hpp"
#include "forward_flops.hpp"
#include "muse/model.hpp"
#include "muse/precision.hpp"
#include "muse/runtime.hpp"
#include "muse/version.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    int threads = 0;
    int iters = 3;
    bool reference = false;
    bool allocator_defaults = false;
    std::string json_path;
    std::vector<std::string> archs = {"vit_small", "vit_base", "r50"};
    std::vector<int> sides = {224, 512};
    std::vector<int> batches = {1, 4};
    bool bf16 = !muse::native_bf16_isa().empty();  ///< also bfloat16, where the CPU has it (--precisions)
};

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) out.push_back(item);
    return out;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--threads") o.threads = std::stoi(value());
        else if (a == "--iters") o.iters = std::max(1, std::stoi(value()));
        else if (a == "--reference") o.reference = true;
        else if (a == "--allocator-defaults") o.allocator_defaults = true;
        else if (a == "--json") o.json_path = value();
        else if (a == "--precisions") {
            const std::string v = value();
            if (v != "fp32" && v != "fp32,bf16") throw std::runtime_error("--precisions is fp32 or fp32,bf16");
            o.bf16 = v == "fp32,bf16";
            if (o.bf16 && muse::native_bf16_isa().empty()) throw std::runtime_error("this CPU has no native bfloat16");
        }
        else if (a == "--archs") o.archs = split(value());
        else if (a == "--sides") {
            o.sides.clear();
            for (const auto& s : split(value())) o.sides.push_back(std::stoi(s));
        } else if (a == "--batches") {
            o.batches.clear();
            for (const auto& s : split(value())) o.batches.push_back(std::stoi(s));
        } else {
            std::cout << "usage: bench_forward [--threads N] [--iters N] [--archs a,b] [--sides 224,512]\n"
                         "                     [--batches 1,4] [--precisions fp32,bf16] [--reference] [--json FILE]\n"
                         "  --precisions fp32,bf16: both side by side (the default where the CPU has native\n"
                         "               bfloat16); fp32: float32 only (the default elsewhere)\n"
                         "  --reference  also time the official MUSE forward (bench/reference_model.py,\n"
                         "               Debian python3-torch on the same LibTorch) and report the speed-up,\n"
                         "               both as shipped and with muse's allocator setting (retain_freed_memory),\n"
                         "               and where the CPU has AVX-512 also with OpenBLAS's AVX-512 kernels\n"
                         "               (OPENBLAS_CORETYPE=SkylakeX: what OpenBLAS picks on Intel Xeons)\n"
                         "  --allocator-defaults  do not call muse::retain_freed_memory() in this process\n";
            std::exit(a == "--help" || a == "-h" ? 0 : 2);
        }
    }
    return o;
}

/// Best of 10 runs of `op`, in seconds.
template <typename Op>
double best_seconds(Op op) {
    op();
    double best = 1e30;
    for (int i = 0; i < 10; ++i) {
        const auto t0 = Clock::now();
        op();
        best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
    }
    return best;
}

/// fp32 matrix product 2048 x 2048 x 2048 through BLAS (OpenBLAS here), GFLOP/s.
double blas_gemm_gflops() {
    const std::int64_t n = 2048;
    at::Tensor a = at::randn({n, n}), b = at::randn({n, n});
    return 2.0 * n * n * n / best_seconds([&] { at::mm(a, b); }) / 1e9;
}

/// The same product as a 1x1 convolution (2048 channels, 32x32 px, channels-last), which
/// LibTorch hands to oneDNN: the GEMM that the model's convolutions and linears really use;
/// in `dtype` (float32, or bfloat16 for the bfloat16 ceiling).
double onednn_gemm_gflops(at::ScalarType dtype = at::kFloat) {
    const std::int64_t n = 2048;
    at::Tensor x = at::randn({1, n, 32, 32}).to(dtype).contiguous(at::MemoryFormat::ChannelsLast);
    at::Tensor w = at::randn({n, n, 1, 1}).to(dtype).contiguous(at::MemoryFormat::ChannelsLast);
    c10::InferenceMode guard;
    return 2.0 * n * n * 1024 / best_seconds([&] { at::conv2d(x, w); }) / 1e9;
}

/// Best-of-`iters` milliseconds per tile. Two untimed passes first: the second one sets up
/// the Winograd kernels (they start on a shape's second call, nn/winograd_conv.hpp).
double time_forward(const muse::Model& model, int side, int batch, int iters, muse::Precision precision) {
    at::Tensor tiles = at::randint(0, 256, {batch, side, side, 3}, at::kByte);
    model.forward(tiles, precision);
    model.forward(tiles, precision);
    double best = 1e30;
    for (int i = 0; i < iters; ++i) {
        const auto t0 = Clock::now();
        model.forward(tiles, precision);
        best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    return best / batch;
}

std::string key(const std::string& arch, int side, int batch) {
    return arch + "/" + std::to_string(side) + "/" + std::to_string(batch);
}

/// glibc's environment equivalent of muse::retain_freed_memory(), for the reference process.
constexpr const char* kRetainEnv = "MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1073741824 ";

/// The reference again with OpenBLAS's AVX-512 kernels (its SkylakeX core type) and muse's
/// allocator setting. OpenBLAS picks its kernels by CPU model: on Intel Xeons it runs its AVX-512
/// kernels, on AMD EPYCs its AVX2 ones, which halves the reference's linears there. This column
/// shows what the reference would do with Intel's choice, on CPUs with AVX-512.
constexpr const char* kFastBlasEnv = "OPENBLAS_CORETYPE=SkylakeX ";

bool cpu_has_avx512() { return __builtin_cpu_supports("avx512f"); }

/// Runs the reference script once for all configurations; ms per tile by key.
std::map<std::string, double> run_reference(const Options& o, int threads, const std::string& env) {
    std::string archs;
    for (const auto& a : o.archs) archs += (archs.empty() ? "" : ",") + a;
    std::string sides, batches;
    for (int s : o.sides) sides += (sides.empty() ? "" : ",") + std::to_string(s);
    for (int b : o.batches) batches += (batches.empty() ? "" : ",") + std::to_string(b);
    const std::string cmd = env + "/usr/bin/python3 " + MUSE_BENCH_REFERENCE_SCRIPT + " --threads " +
                            std::to_string(threads) + " --iters " + std::to_string(o.iters) + " --only " + archs +
                            " --sides " + sides + " --batches " + batches + " 2>/dev/null";
    std::cerr << "running the reference: " << cmd << "\n";
    std::map<std::string, double> out;
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (!pipe) return out;
    char line[1024];
    while (std::fgets(line, sizeof line, pipe)) {
        if (line[0] != '{') continue;
        auto j = nlohmann::json::parse(line);
        out[key(j["arch"], j["side"], j["batch"])] = j["ms_per_tile"];
    }
    if (::pclose(pipe) != 0) std::cerr << "warning: the reference script failed; no speed-up column\n";
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    const int threads = muse::set_compute_threads(o.threads);
    const bool retained = o.allocator_defaults ? false : muse::retain_freed_memory();
    const double blas = blas_gemm_gflops(), onednn = onednn_gemm_gflops();
    const double ceiling = std::max(blas, onednn);
    const double onednn_bf16 = o.bf16 ? onednn_gemm_gflops(at::kBFloat16) : 0.0;
    const char* winograd = std::getenv("MUSE_WINOGRAD");
    std::printf("%s\n", muse::bench::machine_line().c_str());
    std::printf("muse %s forward benchmark: %d threads, %s, allocator %s, Winograd %s\n", MUSE_VERSION_STRING,
                threads, o.bf16 ? "fp32 and bf16" : "fp32", retained ? "retains freed memory" : "glibc defaults",
                winograd && std::string(winograd) == "0" ? "off (MUSE_WINOGRAD=0)" : "on where oneDNN has it");
    std::printf("GEMM ceiling, this process, 2048^3 fp32: BLAS at::mm %.1f GFLOP/s, oneDNN (1x1 convolution) %.1f GFLOP/s\n",
                blas, onednn);
    if (o.bf16) std::printf("GEMM ceiling, this process, 2048^3 bf16: oneDNN (1x1 convolution) %.1f GFLOP/s\n", onednn_bf16);
    std::printf("best of %d runs after two warm-ups; GFLOP = multiply-adds x 2 of the convolutions and matrix products\n"
                "of one tile as a direct convolution would do them (Winograd does fewer, so it can pass 100 %%)\n\n",
                o.iters);

    nlohmann::json rows = nlohmann::json::array();
    struct Row {
        std::string arch;
        int side, batch;
        double ms, gflop, ms_bf16;
    };
    std::vector<Row> results;
    for (const auto& arch : o.archs) {
        for (int side : o.sides) {
            muse::ModelConfig c;
            c.arch = arch;
            c.img_size = side;  // ViT: the 224 MUSE model at 224, the 512 LFoV-MUSE model at 512
            const muse::Model model = muse::Model::create_untrained(c, 1);
            for (int batch : o.batches) {
                const double fp32 = time_forward(model, side, batch, o.iters, muse::Precision::Fp32);
                const double bf16 = o.bf16 ? time_forward(model, side, batch, o.iters, muse::Precision::Bf16) : 0.0;
                results.push_back({arch, side, batch, fp32, muse::bench::forward_flops(arch, side) / 1e9, bf16});
                std::fprintf(stderr, "  %s %d x%d: %.1f ms/tile fp32, %.1f bf16\n", arch.c_str(), side, batch, fp32, bf16);
            }
        }
    }
    std::map<std::string, double> ref, ref_retained, ref_fast_blas;
    const bool fast_blas = o.reference && cpu_has_avx512();
    if (o.reference) {
        ref = run_reference(o, threads, "");
        ref_retained = run_reference(o, threads, kRetainEnv);
        if (fast_blas) ref_fast_blas = run_reference(o, threads, std::string(kRetainEnv) + kFastBlasEnv);
    }

    std::printf("| arch | tile px | batch | ms/tile | GFLOP/tile | GFLOP/s | of best GEMM |%s%s%s\n",
                o.bf16 ? " bf16 ms/tile | bf16 speed-up | bf16 of bf16 GEMM |" : "",
                o.reference ? " reference ms/tile | speed-up | reference, same allocator | speed-up |" : "",
                fast_blas ? " reference, same allocator, AVX-512 BLAS | speed-up |" : "");
    std::printf("|---|---|---|---|---|---|---|%s%s%s\n", o.bf16 ? "---|---|---|" : "", o.reference ? "---|---|---|---|" : "",
                fast_blas ? "---|---|" : "");
    for (const auto& r : results) {
        const double gflops = r.gflop / (r.ms / 1000.0);
        std::printf("| %s | %d | %d | %.1f | %.2f | %.1f | %.0f %% |", r.arch.c_str(), r.side, r.batch, r.ms, r.gflop,
                    gflops, 100.0 * gflops / ceiling);
        nlohmann::json j = {{"arch", r.arch},         {"side", r.side},    {"batch", r.batch},
                            {"ms_per_tile", r.ms},    {"gflop", r.gflop},  {"gflops", gflops},
                            {"gemm_gflops", ceiling}, {"blas_gemm_gflops", blas},
                            {"onednn_gemm_gflops", onednn}, {"threads", threads},
                            {"retain_freed_memory", retained}, {"cpu", muse::bench::cpu_model()},
                            {"native_bf16", muse::native_bf16_isa()}};
        if (o.bf16) {
            const double bf16_gflops = r.gflop / (r.ms_bf16 / 1000.0);
            std::printf(" %.1f | %.2fx | %.0f %% |", r.ms_bf16, r.ms / r.ms_bf16, 100.0 * bf16_gflops / onednn_bf16);
            j["bf16_ms_per_tile"] = r.ms_bf16;
            j["bf16_speedup"] = r.ms / r.ms_bf16;
            j["onednn_bf16_gemm_gflops"] = onednn_bf16;
        }
        for (const auto* table : {&ref, &ref_retained, &ref_fast_blas}) {
            if (!o.reference || (table == &ref_fast_blas && !fast_blas)) break;
            auto it = table->find(key(r.arch, r.side, r.batch));
            const char* field = table == &ref            ? "reference_ms_per_tile"
                                : table == &ref_retained ? "reference_same_allocator_ms_per_tile"
                                                         : "reference_same_allocator_avx512_blas_ms_per_tile";
            if (it == table->end()) {
                std::printf(" - | - |");
                continue;
            }
            std::printf(" %.1f | %.2fx |", it->second, it->second / r.ms);
            j[field] = it->second;
            j[std::string(field) + "_speedup"] = it->second / r.ms;
        }
        std::printf("\n");
        rows.push_back(j);
    }
    if (!o.json_path.empty()) std::ofstream(o.json_path) << rows.dump(2) << "\n";
    return 0;
}

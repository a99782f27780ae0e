// bench_detect: whole-slide detection throughput next to the pure model forward on the same
// tiles, in one process; peak memory.
//
//   build/bench/bench_detect SLIDE [-m MODEL] [--tile-px 512] [--batch 4] [--readers 2] [--threads N]
//                            [--mpp X] [--repeat 3] [--precision auto|fp32|bf16] [--json FILE]
//
// Prints: tissue tiles, end-to-end tiles/s and mm^2 of tissue per minute (reading, resampling,
// model, decoding, seam merge; detections counted, not written), the model forward alone on
// the same number of random tiles of the same size and batch, the ratio, and the peak RSS.
// The forward-only rate of this machine drifts by several per cent from minute to minute, so
// the two are measured alternately (forward, end to end, forward, ...), `--repeat` times each,
// and the ratio is taken between their medians; every single rate is printed as well.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <algorithm>
#include <vector>
#include <iostream>
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "bench_machine.hpp"
#include "muse/detect.hpp"
#include "muse/model.hpp"
#include "muse/runtime.hpp"
#include "muse/slide.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
    std::string slide_path, model_path = MUSE_BENCH_DEFAULT_MODEL, json_path;
    muse::SlideDetectOptions o;
    o.decode.precision = muse::Precision::Auto;  // as `muse detect` runs by default
    int threads = 0, repeat = 3;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "-m") model_path = value();
        else if (a == "--tile-px") o.tile_px = std::stoi(value());
        else if (a == "--batch") o.batch = std::stoi(value());
        else if (a == "--readers") o.reader_threads = std::stoi(value());
        else if (a == "--threads") threads = std::stoi(value());
        else if (a == "--mpp") o.mpp = std::stod(value());
        else if (a == "--repeat") repeat = std::max(1, std::stoi(value()));
        else if (a == "--json") json_path = value();
        else if (a == "--precision") {
            try {
                o.decode.precision = muse::parse_precision(value());
            } catch (const std::exception& e) {
                std::cerr << "bench_detect: " << e.what() << "\n";
                return 2;
            }
        }
        else if (a[0] != '-' && slide_path.empty()) slide_path = a;
        else {
            std::cout << "usage: bench_detect SLIDE [-m MODEL] [--tile-px N] [--batch N] [--readers N] [--threads N] "
                         "[--mpp X] [--repeat N] [--precision auto|fp32|bf16] [--json FILE]\n";
            return a == "--help" ? 0 : 2;
        }
    }
    if (slide_path.empty()) {
        std::cerr << "bench_detect: give a slide (scripts/make-bench-slide.sh makes a large one)\n";
        return 2;
    }
    try {
        const int n_threads = muse::set_compute_threads(threads);
        muse::retain_freed_memory();
        const muse::Model model = muse::Model::load(model_path);
        const auto slide = muse::open_slide(slide_path);

        // The model alone: random tiles, same size and batch, already in memory.
        at::Tensor batch = at::randint(0, 256, {o.batch, o.tile_px, o.tile_px, 3}, at::kByte);
        const muse::Precision precision = muse::resolve_precision(o.decode.precision);
        model.predict(batch, precision);
        model.predict(batch, precision);  // the Winograd kernels start on a shape's second pass
        auto forward_rate = [&](std::int64_t tiles) {
            const std::int64_t batches = std::max<std::int64_t>(1, (tiles + o.batch - 1) / o.batch);
            const auto t1 = Clock::now();
            for (std::int64_t b = 0; b < batches; ++b) model.predict(batch, precision);
            return static_cast<double>(batches * o.batch) / std::chrono::duration<double>(Clock::now() - t1).count();
        };

        std::int64_t nuclei = 0;
        muse::SlideDetectSummary s;
        std::vector<double> e2e_rates, e2e_times, fwd_rates;
        for (int rep = 0; rep < repeat; ++rep) {
            if (rep > 0) fwd_rates.push_back(forward_rate(s.tiles_done));
            nuclei = 0;
            const auto t0 = Clock::now();
            s = muse::detect_slide(model, *slide, o, [&](const muse::Detection&) { ++nuclei; });
            const double e2e_s = std::chrono::duration<double>(Clock::now() - t0).count();
            e2e_times.push_back(e2e_s);
            e2e_rates.push_back(static_cast<double>(s.tiles_done) / e2e_s);
            if (rep == 0) fwd_rates.push_back(forward_rate(s.tiles_done));  // needs the tile count first
        }
        const double e2e_s = median(e2e_times), e2e_tiles_s = median(e2e_rates), fwd_tiles_s = median(fwd_rates);
        auto list = [](const std::vector<double>& v) {
            std::string out;
            for (double x : v) out += (out.empty() ? "" : " ") + std::to_string(x).substr(0, 6);
            return out;
        };

        const auto& l0 = slide->levels()[0];
        std::printf("%s; precision %s\n", muse::bench::machine_line().c_str(), muse::to_string(precision).c_str());
        std::printf("slide %s: %lldx%lld px, %.3f um/px, level %d read; model %s (%s), %d threads, batch %d, %d readers\n",
                    slide_path.c_str(), static_cast<long long>(l0.width), static_cast<long long>(l0.height), s.slide_mpp,
                    s.level, model_path.c_str(), model.config().arch.c_str(), n_threads, o.batch, o.reader_threads);
        std::printf("tiles: %lld of %lld with tissue, %lld done, %lld failed; %lld nuclei\n",
                    static_cast<long long>(s.tiles_planned), static_cast<long long>(s.tiles_total),
                    static_cast<long long>(s.tiles_done), static_cast<long long>(s.tiles_failed),
                    static_cast<long long>(nuclei));
        std::printf("end to end:    %.1f s, %.3f tiles/s, %.2f mm2 of tissue tiles per minute (median of %d: %s)\n", e2e_s,
                    e2e_tiles_s, s.area_mm2 / e2e_s * 60.0, repeat, list(e2e_rates).c_str());
        std::printf("model forward: %.3f tiles/s, random tiles in memory (median of %d: %s)\n", fwd_tiles_s, repeat,
                    list(fwd_rates).c_str());
        std::printf("end to end / forward: %.1f %%\n", 100.0 * e2e_tiles_s / fwd_tiles_s);
        std::printf("peak RSS: %.0f MB\n", peak_rss_mb());
        if (!json_path.empty()) {
            nlohmann::json j = {{"slide", slide_path},          {"width", l0.width},
                                {"height", l0.height},          {"tiles_planned", s.tiles_planned},
                                {"tiles_done", s.tiles_done},   {"nuclei", nuclei},
                                {"end_to_end_s", e2e_s},        {"end_to_end_tiles_per_s", e2e_tiles_s},
                                {"mm2_per_min", s.area_mm2 / e2e_s * 60.0}, {"forward_tiles_per_s", fwd_tiles_s},
                                {"ratio", e2e_tiles_s / fwd_tiles_s},       {"peak_rss_mb", peak_rss_mb()},
                                {"threads", n_threads},         {"batch", o.batch},
                                {"readers", o.reader_threads},  {"tile_px", o.tile_px},
                                {"repeat", repeat},             {"end_to_end_rates", e2e_rates},
                                {"forward_rates", fwd_rates},   {"cpu", muse::bench::cpu_model()},
                                {"precision", muse::to_string(precision)}};
            std::ofstream(json_path) << j.dump(2) << "\n";
        }
    } catch (const std::exception& e) {
        std::cerr << "bench_detect: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

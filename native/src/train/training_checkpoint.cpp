// Writing and reading the training state file.
#include "train/training_checkpoint.hpp"

#include <algorithm>
#include <sstream>
#include <system_error>

#include "io/json_numbers.hpp"
#include "model/model_file.hpp"
#include "muse/errors.hpp"

namespace muse::train {
namespace {

using json = nlohmann::json;

constexpr const char* kStateKey = "muse_training_checkpoint";
constexpr const char* kAveragePrefix = "average.";
constexpr const char* kBestPrefix = "best.";
constexpr const char* kAdamPrefix = "adam.";

json epoch_json(const EpochReport& e) {
    return {{"epoch", e.epoch}, {"loss", e.loss}, {"loss_type", e.loss_type}, {"loss_reg", e.loss_reg},
            {"lr", e.lr},       {"seconds", e.seconds}, {"validated", e.validated}, {"val_mean_f1", e.val_mean_f1},
            {"best", e.best}};
}

EpochReport epoch_from_json(const json& j, const std::string& where) {
    auto number = [&](const char* key) {
        const auto v = io::json_finite(j.at(key));
        if (!v) throw CorruptFile(where + ": epoch history field '" + key + "' is not a finite number");
        return *v;
    };
    EpochReport e;
    const auto epoch = io::json_integer(j.at("epoch"), 1, 1000000);
    if (!epoch) throw CorruptFile(where + ": an epoch number in the history is out of range");
    e.epoch = static_cast<int>(*epoch);
    e.loss = number("loss");
    e.loss_type = number("loss_type");
    e.loss_reg = number("loss_reg");
    e.lr = number("lr");
    e.seconds = number("seconds");
    e.validated = j.at("validated").get<bool>();
    e.best = j.value("best", false);  // absent in the first version's checkpoints
    e.val_mean_f1 = number("val_mean_f1");
    return e;
}

}  // namespace

void write_training_checkpoint(const std::filesystem::path& path, const ModelConfig& config, const TrainingState& state,
                               const json& identity) {
    model::NamedTensors all = state.weights;
    model::put_prefixed(all, state.average, kAveragePrefix);
    model::put_prefixed(all, state.best, kBestPrefix);
    model::put_prefixed(all, state.adam, kAdamPrefix);
    json history = json::array();
    for (const auto& e : state.history) history.push_back(epoch_json(e));
    std::ostringstream random_stream;
    random_stream << state.random_stream;
    ModelConfig cp = config;
    cp.provenance_json = json{{kStateKey,
                               {{"epoch", state.epoch},
                                {"identity", identity},
                                {"random_stream", random_stream.str()},
                                {"order", state.order},
                                {"best_epoch", state.best_epoch},
                                {"best_f1", state.best_f1},
                                {"history", history}}}}
                             .dump();
    model::write_model_file(path, cp, all);
}

TrainingState read_training_checkpoint(const std::filesystem::path& path, const json& identity) {
    const std::string where = "'" + path.string() + "'";
    std::error_code error;
    if (!std::filesystem::exists(path, error)) {
        throw InvalidArgument("cannot resume: no training checkpoint at " + where +
                              " (a finished run removes it, and a run stopped before its first save has none: drop --resume)");
    }
    model::ModelFileContents saved = model::read_model_file(path);
    json state;
    try {
        state = json::parse(saved.config.provenance_json).value(kStateKey, json());
    } catch (const json::exception&) {
        throw CorruptFile(where + ": its provenance is not JSON");
    }
    if (!state.is_object()) throw InvalidArgument(where + " is not a training checkpoint");
    const json saved_identity = state.value("identity", json());
    if (saved_identity != identity) {
        // Name what differs, not the whole description (it lists every image).
        std::string differs;
        for (const auto& [key, value] : identity.items()) {
            const json was = saved_identity.is_object() ? saved_identity.value(key, json()) : json();
            if (was == value) continue;
            if (!differs.empty()) differs += "; ";
            if (value.is_object() && was.is_object()) {
                std::string fields;
                for (const auto& [k, v] : value.items()) {
                    if (was.value(k, json()) != v) fields += (fields.empty() ? "" : ", ") + k + " " + was.value(k, json()).dump() + " -> " + v.dump();
                }
                differs += key + " (" + fields + ")";
            } else if (value.is_array()) {
                differs += key + " (" + std::to_string(was.is_array() ? was.size() : 0) + " -> " + std::to_string(value.size()) + ", or other names)";
            } else {
                differs += key + " " + was.dump() + " -> " + value.dump();
            }
        }
        throw InvalidArgument("cannot resume from " + where + ": it belongs to another training run: " + differs +
                              " (the same command and threads continue a run)");
    }
    TrainingState s;
    try {
        const auto epoch = io::json_integer(state.at("epoch"), 0, 1000000);
        const auto best_epoch = io::json_integer(state.at("best_epoch"), 0, 1000000);
        const auto best_f1 = io::json_finite(state.at("best_f1"));
        if (!epoch || !best_epoch || !best_f1) throw CorruptFile(where + ": its epoch or best score is out of range");
        s.epoch = static_cast<int>(*epoch);
        s.best_epoch = static_cast<int>(*best_epoch);
        s.best_f1 = *best_f1;
        std::istringstream random_stream(state.at("random_stream").get<std::string>());
        if (!(random_stream >> s.random_stream)) throw CorruptFile(where + ": its random stream state is damaged");
        for (const auto& i : state.at("order")) {
            const auto index = io::json_integer(i, 0, 100000000);
            if (!index) throw CorruptFile(where + ": its image order holds an invalid index");
            s.order.push_back(static_cast<std::size_t>(*index));
        }
        for (const auto& e : state.at("history")) s.history.push_back(epoch_from_json(e, where));
    } catch (const json::exception& e) {
        throw CorruptFile(where + ": training state is damaged: " + e.what());
    }
    if (static_cast<int>(s.history.size()) != s.epoch) throw CorruptFile(where + ": its history does not match its epoch");
    {
        std::vector<std::size_t> sorted = s.order;
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t i = 0; i < sorted.size(); ++i) {
            if (sorted[i] != i) throw CorruptFile(where + ": its image order is not a permutation");
        }
    }
    s.average = model::take_prefixed(saved.weights, kAveragePrefix);
    s.best = model::take_prefixed(saved.weights, kBestPrefix);
    s.adam = model::take_prefixed(saved.weights, kAdamPrefix);
    s.weights = std::move(saved.weights);
    return s;
}

}  // namespace muse::train

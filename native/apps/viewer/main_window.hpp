// The viewer's window: menus, tools, the class legend, and the engine runs (detect,
// fine-tune) with progress and Cancel in the status bar.
#pragma once

#include <QMainWindow>

#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include "annotation_model.hpp"
#include "engine_job.hpp"
#include "muse/model.hpp"
#include "slide_view.hpp"

class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;

namespace muse::viewer {

/// UI thread only. The public actions take paths (the menus ask for them with dialogs) and
/// return false after showing the reason when they cannot do what was asked.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class DetectScope { View, Annotations, Slide };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    bool open_slide(const std::filesystem::path& path);
    /// For a slide whose file does not say its pixel size (plain images): level-0 um/px from now on.
    bool set_slide_mpp(double mpp);
    /// Reads in the background (fileLoaded tells when done; errors are shown then); true = started.
    bool open_detections(const std::filesystem::path& path);
    bool open_annotations(const std::filesystem::path& path);
    bool save_annotations(const std::filesystem::path& path);
    /// Reads in the background like open_detections; the model is used once loaded.
    bool load_model(const std::filesystem::path& path);
    bool export_view(const std::filesystem::path& path);

    /// The network's arithmetic for later detections and fine-tunings (muse/precision.hpp); Auto unless set.
    /// Throws InvalidArgument for bf16 on a CPU without native bfloat16.
    void set_precision(Precision precision);
    Precision precision() const { return precision_; }

    /// Starts detection on the worker thread; its result replaces the shown detections.
    bool start_detect(DetectScope scope);
    /// Starts fine-tuning (`mode` "heads", "decoder" or "full") on the drawn annotations; the new
    /// model goes to `output` (never the loaded model's file) and is used from then on.
    /// The library's defaults otherwise: the lab's colours are fitted first, BatchNorm adapted.
    bool start_finetune(const std::filesystem::path& output, const std::string& mode, int epochs);
    void cancel_job();

    SlideView* view() { return view_; }
    AnnotationModel* annotations() { return &annotations_; }
    EngineJob* job() { return &job_; }
    QListWidget* legend() { return legend_; }
    const std::filesystem::path& model_path() const { return model_path_; }
    /// When set, problems go to this instead of a message box (tests, scripts).
    void set_error_sink(std::function<void(const QString&)> sink) { error_sink_ = std::move(sink); }

Q_SIGNALS:
    void jobFinished(bool ok, bool cancelled);
    /// A background read of a model or detections file ended (`ok` false: the error was shown).
    void fileLoaded(bool ok);

private:
    void build_menus();
    void refresh_legend();
    void refresh_point_classes();
    void show_error(const QString& text);
    /// Runs `action`; an exception is shown (show_error) and gives false.
    bool attempt(const std::function<void()>& action);
    bool begin_job(const QString& title, EngineJob::Work work);
    template <typename T>
    void load_in_background(std::function<T()> load, std::function<void(T)> apply);
    std::vector<ClassInfo> point_classes() const;
    void on_job_progress(qint64 done, qint64 total, const QString& message);
    void on_job_finished(bool ok, bool cancelled, const QString& error);

    AnnotationModel annotations_;
    EngineJob job_;
    SlideView* view_ = nullptr;
    QListWidget* legend_ = nullptr;
    QComboBox* class_picker_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* cancel_ = nullptr;
    QLabel* hover_ = nullptr;
    std::shared_ptr<const SlideSource> file_slide_;  // as the file describes it
    std::shared_ptr<const SlideSource> slide_;       // as detection sees it (file_slide_, or with a given MPP)
    int slide_generation_ = 0;                       // counts opened slides; results of older ones are dropped
    std::shared_ptr<const Model> model_;
    std::filesystem::path model_path_;
    Precision precision_ = Precision::Auto;  // bfloat16 where the CPU has it, as `muse detect`
    std::function<void()> on_success_;  // what a finished job hands to the UI
    std::function<void(const QString&)> error_sink_;
    std::list<std::thread> loaders_;  // background file reads (load_in_background)
};

}  // namespace muse::viewer

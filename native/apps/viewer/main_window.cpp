#include "main_window.hpp"

#include <map>
#include <optional>

#include <QActionGroup>
#include <QApplication>
#include <QComboBox>
#include <QDateTime>
#include <QDockWidget>
#include <QFileDialog>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QStatusBar>
#include <QToolBar>
#include <QPainter>

#include "muse/annotations.hpp"
#include "muse/detect.hpp"
#include "muse/errors.hpp"
#include "muse/finetune.hpp"
#include "overlay_painter.hpp"
#include "picture_file.hpp"

namespace muse::viewer {
namespace {

std::filesystem::path to_path(const QString& s) {
    return std::filesystem::path(s.toStdString());
}

QString q(const std::filesystem::path& p) {
    return QString::fromStdString(p.string());
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("MUSE viewer"));
    view_ = new SlideView(&annotations_, this);
    setCentralWidget(view_);

    legend_ = new QListWidget(this);
    auto* dock = new QDockWidget(tr("Classes"), this);
    dock->setObjectName("classes");
    dock->setWidget(legend_);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    connect(legend_, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
        view_->set_class_visible(legend_->row(item), item->checkState() == Qt::Checked);
    });

    hover_ = new QLabel(this);
    progress_ = new QProgressBar(this);
    progress_->setMinimumWidth(320);
    progress_->setVisible(false);
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setObjectName("cancel");
    cancel_->setVisible(false);
    statusBar()->addPermanentWidget(hover_, 1);  // not covered by transient messages
    statusBar()->addPermanentWidget(progress_);
    statusBar()->addPermanentWidget(cancel_);
    connect(cancel_, &QPushButton::clicked, this, &MainWindow::cancel_job);
    connect(view_, &SlideView::hoverChanged, hover_, &QLabel::setText);
    connect(&annotations_, &AnnotationModel::changed, this, [this] {
        const auto& o = annotations_.objects();
        std::size_t outside = 0;
        for (const auto& set : o.points) {
            for (const Point& p : set.points) {
                bool inside = false;
                for (const auto& a : o.areas) inside = inside || a.polygon.contains(p.x, p.y);
                outside += inside ? 0 : 1;
            }
        }
        QString text = tr("%1 areas, %2 points").arg(o.areas.size()).arg(annotations_.point_count());
        if (outside > 0) text += tr("; %1 outside every area (fine-tuning uses only points inside areas)").arg(outside);
        statusBar()->showMessage(text, 5000);
    });
    connect(&job_, &EngineJob::progressed, this, &MainWindow::on_job_progress);
    connect(&job_, &EngineJob::finished, this, &MainWindow::on_job_finished);

    build_menus();
    refresh_point_classes();
    resize(1200, 800);
}

MainWindow::~MainWindow() {
    for (auto& t : loaders_) t.join();
}

void MainWindow::build_menus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("Open &slide..."), QKeySequence::Open, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open slide"), {},
                                                       tr("Slides and images (*.svs *.ndpi *.mrxs *.scn *.tif *.tiff *.png *.jpg *.jpeg *.bmp);;All files (*)"));
        if (!f.isEmpty()) open_slide(to_path(f));
    });
    file->addAction(tr("Open &detections..."), this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open detections"), {}, tr("GeoJSON (*.geojson *.json)"));
        if (!f.isEmpty()) open_detections(to_path(f));
    });
    file->addAction(tr("Open &annotations..."), this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open annotations"), {}, tr("GeoJSON (*.geojson *.json)"));
        if (!f.isEmpty()) open_annotations(to_path(f));
    });
    file->addAction(tr("Sa&ve annotations..."), QKeySequence::Save, this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Save annotations"), "annotations.geojson", tr("GeoJSON (*.geojson)"));
        if (!f.isEmpty()) save_annotations(to_path(f));
    });
    file->addAction(tr("&Export view as PNG..."), this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Export view"), "view.png", tr("PNG (*.png)"));
        if (!f.isEmpty()) export_view(to_path(f));
    });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(tr("&Undo"), QKeySequence::Undo, this, [this] { annotations_.undo(); });
    edit->addAction(tr("&Clear annotations"), this, [this] { annotations_.clear(); });

    QToolBar* tools = addToolBar(tr("Tools"));
    tools->setObjectName("tools");
    auto* group = new QActionGroup(this);
    auto add_tool = [&](const QString& name, const QString& key, SlideView::Tool tool, const QString& tip) {
        QAction* a = tools->addAction(name, this, [this, tool] { view_->set_tool(tool); });
        a->setShortcut(QKeySequence(key));
        a->setToolTip(tip + " (" + key + ")");
        a->setCheckable(true);
        a->setChecked(tool == SlideView::Tool::Pan);
        group->addAction(a);
    };
    add_tool(tr("Pan"), "P", SlideView::Tool::Pan, tr("Drag to move; wheel zooms"));
    add_tool(tr("Rectangle"), "R", SlideView::Tool::Area, tr("Drag to draw an area to annotate"));
    add_tool(tr("Point"), "N", SlideView::Tool::Point, tr("Click a nucleus to add a point of the chosen class; right-click removes"));
    class_picker_ = new QComboBox(this);
    class_picker_->setToolTip(tr("Class of the points the Point tool adds"));
    tools->addWidget(class_picker_);
    connect(class_picker_, &QComboBox::currentIndexChanged, this, [this](int i) {
        const auto classes = point_classes();
        if (i >= 0 && i < static_cast<int>(classes.size())) view_->set_point_class(classes[i]);
    });

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    run->addAction(tr("&Load model..."), this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Load model"), {}, tr("MUSE models (*.muse)"));
        if (!f.isEmpty()) load_model(to_path(f));
    });
    run->addAction(tr("Set slide &pixel size..."), this, [this] {
        bool ok = false;
        const double current = slide_ && slide_->mpp() > 0 ? slide_->mpp() : 0.5;
        const double mpp = QInputDialog::getDouble(this, tr("Pixel size"), tr("Level-0 um per pixel (0.25 for 40x, 0.5 for 20x scans)"),
                                                   current, 0.01, 100, 4, &ok);
        if (ok) set_slide_mpp(mpp);
    });
    run->addSeparator();
    run->addAction(tr("Detect in &view"), QKeySequence("Ctrl+D"), this, [this] { start_detect(DetectScope::View); });
    run->addAction(tr("Detect in &annotations"), this, [this] { start_detect(DetectScope::Annotations); });
    run->addAction(tr("Detect in whole &slide"), this, [this] { start_detect(DetectScope::Slide); });
    run->addAction(tr("&Fine-tune on annotations..."), this, [this] {
        if (model_path_.empty()) {
            show_error(tr("Load a model first (Run > Load model)"));
            return;
        }
        bool ok = false;
        const QString mode = QInputDialog::getItem(this, tr("Fine-tune"), tr("What to train (heads: under a minute)"),
                                                   {"heads", "decoder", "full"}, 0, false, &ok);
        if (!ok) return;
        const int epochs = QInputDialog::getInt(this, tr("Fine-tune"), tr("Epochs"), 30, 1, 1000, 1, &ok);
        if (!ok) return;
        const QString stamp = QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss");
        const std::filesystem::path suggested = model_path_.parent_path() / (model_path_.stem().string() + "-finetuned-" + stamp.toStdString() + ".muse");
        const QString f = QFileDialog::getSaveFileName(this, tr("Save the fine-tuned model as"), q(suggested), tr("MUSE models (*.muse)"));
        if (!f.isEmpty()) start_finetune(to_path(f), mode.toStdString(), epochs);
    });
    run->addAction(tr("&Cancel"), QKeySequence(Qt::Key_Escape), this, &MainWindow::cancel_job);
}

void MainWindow::show_error(const QString& text) {
    if (error_sink_) {
        error_sink_(text);
    } else {
        QMessageBox::warning(this, tr("MUSE viewer"), text);
    }
}

bool MainWindow::attempt(const std::function<void()>& action) {
    try {
        action();
        return true;
    } catch (const std::exception& e) {
        show_error(QString::fromStdString(e.what()));
        return false;
    }
}

bool MainWindow::open_slide(const std::filesystem::path& path) {
    return attempt([&] {
        std::shared_ptr<const SlideSource> slide = muse::open_slide(path);
        // Results belong to the slide they were made on: a run still going is stopped and its
        // result dropped; the detections and annotations of the previous slide go (Undo brings
        // the annotations back).
        ++slide_generation_;
        cancel_job();
        file_slide_ = slide;
        slide_ = slide;
        view_->set_slide(slide);
        view_->set_detections({});
        refresh_legend();
        annotations_.clear();
        setWindowTitle(tr("MUSE viewer - %1").arg(q(path.filename())));
    });
}

bool MainWindow::set_slide_mpp(double mpp) {
    if (!slide_) {
        show_error(tr("Open a slide first (File > Open slide)"));
        return false;
    }
    if (!(mpp > 0 && mpp < 100)) {
        show_error(tr("The pixel size must be between 0 and 100 um/px, got %1").arg(mpp));
        return false;
    }
    // The same pixels, described with the given MPP: detection and fine-tuning then work as on a scanned slide.
    const bool ok = attempt([&] {
        std::shared_ptr<const SlideSource> inner = file_slide_;
        slide_ = make_pixel_feed(inner->path().string(), inner->levels(), mpp,
                                 [inner](int level, std::int64_t x, std::int64_t y, int w, int h) { return inner->read_region(level, x, y, w, h); });
        const overlay::ViewTransform keep = view_->transform();
        view_->set_slide(slide_);
        view_->set_transform(keep);
    });
    if (!ok) return false;
    statusBar()->showMessage(tr("Pixel size %1 um/px").arg(mpp), 5000);
    return true;
}

bool MainWindow::open_detections(const std::filesystem::path& path) {
    load_in_background<DetectionSet>(
        [path] { return read_geojson_detections(path); },
        [this, path, generation = slide_generation_](DetectionSet set) {
            if (generation != slide_generation_) return;  // another slide was opened meanwhile
            const std::size_t n = set.detections.size();
            view_->set_detections(std::move(set));
            refresh_legend();
            refresh_point_classes();
            statusBar()->showMessage(tr("%1 detections from %2").arg(n).arg(q(path.filename())), 5000);
        });
    return true;
}

bool MainWindow::open_annotations(const std::filesystem::path& path) {
    return attempt([&] {
        const std::size_t unclassified = annotations_.load(path);
        if (unclassified > 0) {
            statusBar()->showMessage(tr("%1 points of %2 have no class and were not loaded (give them a class in QuPath)")
                                         .arg(unclassified).arg(q(path.filename())), 20000);
        }
    });
}

bool MainWindow::save_annotations(const std::filesystem::path& path) {
    return attempt([&] {
        annotations_.save(path);
        statusBar()->showMessage(tr("Saved %1").arg(q(path)), 5000);
    });
}

bool MainWindow::load_model(const std::filesystem::path& path) {
    load_in_background<std::shared_ptr<const Model>>(
        [path] {
            auto model = std::make_shared<const Model>(Model::load(path));
            if (!model->config().has_heads()) throw InvalidArgument("'" + path.string() + "' has no detection heads: it cannot detect nuclei");
            return model;
        },
        [this, path](std::shared_ptr<const Model> model) {
            model_ = std::move(model);
            model_path_ = path;
            refresh_point_classes();
            statusBar()->showMessage(tr("Model %1").arg(q(path.filename())), 5000);
        });
    return true;
}

template <typename T>
void MainWindow::load_in_background(std::function<T()> load, std::function<void(T)> apply) {
    // Files are read on a thread of their own so that the window never waits on the disk; the
    // result is applied on the UI thread. The destructor joins what is still reading.
    auto it = loaders_.emplace(loaders_.end());
    *it = std::thread([this, it, load = std::move(load), apply = std::move(apply)] {
        auto result = std::make_shared<std::optional<T>>();
        QString error;
        try {
            result->emplace(load());
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(this, [this, it, result, error, apply] {
            it->join();
            loaders_.erase(it);
            const bool ok = result->has_value();
            if (ok) {
                apply(std::move(**result));
            } else {
                show_error(error);
            }
            Q_EMIT fileLoaded(ok);
        }, Qt::QueuedConnection);
    });
}

bool MainWindow::export_view(const std::filesystem::path& path) {
    return attempt([&] {
        QImage image = view_->render_view();
        QPainter painter(&image);
        overlay::paint_legend(painter, overlay::legend_entries(view_->detections().classes, view_->detections().detections,
                                                              view_->class_visibility()), {8, 8});
        painter.end();
        overlay::write_png(image, path);
        statusBar()->showMessage(tr("Exported %1").arg(q(path)), 5000);
    });
}

std::vector<ClassInfo> MainWindow::point_classes() const {
    if (model_) return model_->config().classes;
    if (!view_->detections().classes.empty()) return view_->detections().classes;
    return brca_m2c_classes();
}

void MainWindow::refresh_point_classes() {
    const QString current = class_picker_->currentText();
    QSignalBlocker block(class_picker_);
    class_picker_->clear();
    const auto classes = point_classes();
    for (const ClassInfo& c : classes) {
        QPixmap swatch(12, 12);
        swatch.fill(overlay::class_color(c));
        class_picker_->addItem(QIcon(swatch), QString::fromStdString(c.name));
    }
    const int keep = std::max(0, class_picker_->findText(current));
    class_picker_->setCurrentIndex(keep);
    if (!classes.empty()) view_->set_point_class(classes[keep]);
}

void MainWindow::refresh_legend() {
    QSignalBlocker block(legend_);
    legend_->clear();
    const auto entries = overlay::legend_entries(view_->detections().classes, view_->detections().detections, view_->class_visibility());
    for (const auto& e : entries) {
        QPixmap swatch(14, 14);
        swatch.fill(e.color);
        auto* item = new QListWidgetItem(QIcon(swatch), QString("%1  (%2)").arg(QString::fromStdString(e.name)).arg(e.count), legend_);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(e.visible ? Qt::Checked : Qt::Unchecked);
    }
}

void MainWindow::set_precision(Precision precision) {
    resolve_precision(precision);  // refuses bf16 where the CPU cannot run it, now rather than at the first detection
    precision_ = precision;
}

bool MainWindow::start_detect(DetectScope scope) {
    if (job_.running()) {
        show_error(tr("%1 is still running; cancel it or wait").arg(job_.title()));
        return false;
    }
    if (!slide_) {
        show_error(tr("Open a slide first (File > Open slide)"));
        return false;
    }
    if (!model_) {
        show_error(tr("Load a model first (Run > Load model)"));
        return false;
    }
    SlideDetectOptions options;
    options.decode.precision = precision_;
    if (scope == DetectScope::View) {
        const auto& l0 = slide_->levels()[0];
        const QRectF r = view_->visible_slide_rect().intersected(QRectF(0, 0, double(l0.width), double(l0.height)));
        if (r.isEmpty()) {
            show_error(tr("The view shows no part of the slide"));
            return false;
        }
        options.regions.push_back(overlay::to_polygon(r));
    } else if (scope == DetectScope::Annotations) {
        for (const auto& a : annotations_.objects().areas) options.regions.push_back(a.polygon);
        if (options.regions.empty()) {
            show_error(tr("Draw an area first (Rectangle tool)"));
            return false;
        }
    }
    auto found = std::make_shared<std::vector<Detection>>();
    auto model = model_;
    auto slide = slide_;
    const std::vector<Polygon> regions = options.regions;
    on_success_ = [this, found, regions, classes = model->config().classes, generation = slide_generation_] {
        if (generation != slide_generation_) return;  // another slide was opened meanwhile
        // Earlier detections outside the processed regions stay, mapped by class name onto the
        // model's classes (a file lists its classes in its own order); others are replaced.
        const DetectionSet& before = view_->detections();
        std::map<std::string, int> index;
        for (std::size_t i = 0; i < classes.size(); ++i) index[classes[i].name] = static_cast<int>(i);
        std::map<std::string, bool> hidden;
        for (std::size_t i = 0; i < before.classes.size() && i < view_->class_visibility().size(); ++i) {
            hidden[before.classes[i].name] = !view_->class_visibility()[i];
        }
        DetectionSet set;
        set.classes = classes;
        if (!regions.empty()) {
            for (const Detection& d : before.detections) {
                bool inside = false;
                for (const Polygon& p : regions) inside = inside || p.contains(d.x, d.y);
                const auto k = static_cast<std::size_t>(d.class_index);
                if (inside || k >= before.classes.size()) continue;
                auto it = index.find(before.classes[k].name);
                if (it == index.end()) continue;
                Detection kept = d;
                kept.class_index = it->second;
                kept.probabilities.clear();  // in the file's class order, not the model's
                set.detections.push_back(std::move(kept));
            }
        }
        set.detections.insert(set.detections.end(), found->begin(), found->end());
        view_->set_detections(std::move(set));
        for (std::size_t i = 0; i < classes.size(); ++i) {
            if (hidden[classes[i].name]) view_->set_class_visible(static_cast<int>(i), false);
        }
        refresh_legend();
        refresh_point_classes();
        statusBar()->showMessage(tr("%1 nuclei found").arg(found->size()), 10000);
    };
    return begin_job(tr("Detection"), [model, slide, options, found](const Progress& progress) {
        detect_slide(*model, *slide, options, [&](const Detection& d) { found->push_back(d); }, progress);
    });
}

bool MainWindow::start_finetune(const std::filesystem::path& output, const std::string& mode, int epochs) {
    if (job_.running()) {
        show_error(tr("%1 is still running; cancel it or wait").arg(job_.title()));
        return false;
    }
    if (!slide_ || !model_) {
        show_error(tr("Open a slide and load a model first"));
        return false;
    }
    auto data = std::make_shared<FinetuneData>(*model_, true);
    FinetuneOptions options;
    const bool ready = attempt([&] {
        check_finetune_paths(model_path_, output, options.checkpoint);  // never the model it starts from
        data->add(slide_, 0.0,
                  assemble_annotations(annotations_.objects().areas, annotations_.objects().points, data->read_options(),
                                       "the drawn annotations"));
        options.mode = parse_finetune_mode(mode);
        options.epochs = epochs;
        options.precision = precision_;
        options.validate();
    });
    if (!ready) return false;
    auto result = std::make_shared<std::shared_ptr<const Model>>();
    on_success_ = [this, result, output] {
        // The model is kept whichever slide is open now: it was saved, and it is the user's.
        model_ = *result;
        model_path_ = output;
        refresh_point_classes();
        statusBar()->showMessage(tr("Saved the fine-tuned model as %1; it is the current model now").arg(q(output)), 15000);
    };
    return begin_job(tr("Fine-tuning"), [model = model_, base_file = model_path_, data, options, output, result](const Progress& progress) {
        FinetuneResult r = finetune_to_file(*model, base_file, *data, options, output, progress);
        *result = std::make_shared<const Model>(std::move(r.model));
    });
}

bool MainWindow::begin_job(const QString& title, EngineJob::Work work) {
    if (!job_.start(title, std::move(work))) return false;
    progress_->setMaximum(0);  // busy until the first report
    progress_->setFormat(title);
    progress_->setVisible(true);
    cancel_->setVisible(true);
    return true;
}

void MainWindow::cancel_job() {
    if (!job_.running()) return;
    job_.cancel();
    cancel_->setEnabled(false);
    statusBar()->showMessage(tr("Cancelling %1...").arg(job_.title()));
}

void MainWindow::on_job_progress(qint64 done, qint64 total, const QString& message) {
    progress_->setMaximum(total > 0 ? static_cast<int>(std::min<qint64>(total, 1 << 30)) : 0);
    progress_->setValue(static_cast<int>(std::min<qint64>(done, 1 << 30)));
    progress_->setFormat(message.isEmpty() ? QStringLiteral("%v/%m") : message + QStringLiteral("  %p%"));
}

void MainWindow::on_job_finished(bool ok, bool cancelled, const QString& error) {
    statusBar()->clearMessage();
    progress_->setVisible(false);
    cancel_->setVisible(false);
    cancel_->setEnabled(true);
    auto success = std::move(on_success_);
    on_success_ = nullptr;
    if (ok && success) {
        success();
    } else if (cancelled) {
        statusBar()->showMessage(tr("%1 cancelled; nothing changed").arg(job_.title()), 10000);
    } else if (!ok) {
        show_error(tr("%1 failed: %2").arg(job_.title(), error));
    }
    Q_EMIT jobFinished(ok, cancelled);
}

}  // namespace muse::viewer

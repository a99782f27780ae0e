#include "engine_job.hpp"

#include <exception>

#include "muse/errors.hpp"

namespace muse::viewer {

EngineJob::~EngineJob() {
    if (worker_.joinable()) {
        progress_.cancel();
        worker_.join();
    }
}

bool EngineJob::start(const QString& title, Work work) {
    if (running()) return false;
    title_ = title;
    progress_ = Progress([this](const ProgressUpdate& u) {
        const QString message = QString::fromStdString(u.message);
        QMetaObject::invokeMethod(this, [this, done = u.done, total = u.total, message] {
            Q_EMIT progressed(done, total, message);
        }, Qt::QueuedConnection);
    });
    worker_ = std::thread([this, work = std::move(work), progress = progress_] {
        bool ok = false, cancelled = false;
        QString error;
        try {
            work(progress);
            ok = true;
        } catch (const Cancelled&) {
            cancelled = true;
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        } catch (...) {
            error = QStringLiteral("unknown error");
        }
        QMetaObject::invokeMethod(this, [this, ok, cancelled, error] { on_worker_done(ok, cancelled, error); },
                                  Qt::QueuedConnection);
    });
    return true;
}

void EngineJob::cancel() {
    if (running()) progress_.cancel();
}

void EngineJob::on_worker_done(bool ok, bool cancelled, const QString& error) {
    if (worker_.joinable()) worker_.join();  // the thread has finished its work; this returns at once
    Q_EMIT finished(ok, cancelled, error);
}

}  // namespace muse::viewer

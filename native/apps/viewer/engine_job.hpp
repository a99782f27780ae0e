// One long engine operation (detection, fine-tuning) at a time on a worker thread, with its
// progress and outcome delivered to the UI thread as signals and a Cancel that stops it
// within one tile or training sample.
#pragma once

#include <QObject>
#include <QString>

#include <functional>
#include <thread>

#include "muse/progress.hpp"

namespace muse::viewer {

/// start(), cancel() and running() from the UI thread; the signals arrive there too.
class EngineJob : public QObject {
    Q_OBJECT
public:
    /// Runs on the worker thread; reports through and checks the Progress it is given; throws
    /// to fail (the message is shown) or muse::Cancelled when cancelled.
    using Work = std::function<void(const Progress&)>;

    explicit EngineJob(QObject* parent = nullptr) : QObject(parent) {}
    ~EngineJob() override;  // cancels a running job and waits for it

    /// False (nothing started) when a job is already running.
    bool start(const QString& title, Work work);
    void cancel();
    bool running() const { return worker_.joinable(); }
    const QString& title() const { return title_; }

Q_SIGNALS:
    void progressed(qint64 done, qint64 total, const QString& message);
    /// `ok` false: `cancelled`, or failed with `error`.
    void finished(bool ok, bool cancelled, const QString& error);

private:
    void on_worker_done(bool ok, bool cancelled, const QString& error);

    std::thread worker_;
    Progress progress_;
    QString title_;
};

}  // namespace muse::viewer

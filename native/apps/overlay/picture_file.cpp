#include "picture_file.hpp"

#include <string_view>

#include <QBuffer>
#include <QByteArray>

#include "muse/errors.hpp"
#include "muse/files.hpp"

namespace muse::overlay {

void write_png(const QImage& image, const std::filesystem::path& path) {
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    if (!image.save(&buffer, "PNG")) throw IoError("could not encode the picture for '" + path.string() + "' as PNG");
    write_file_atomically(path, std::string_view(png.constData(), static_cast<std::size_t>(png.size())));
}

}  // namespace muse::overlay

package qupath.ext.muse;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuItem;
import qupath.lib.common.Version;
import qupath.lib.gui.QuPathGUI;
import qupath.lib.gui.extensions.QuPathExtension;

/**
 * Extensions > MUSE: detect nuclei, fine-tune on annotations, pseudo-label surroundings, export,
 * settings. Registered through META-INF/services/qupath.lib.gui.extensions.QuPathExtension.
 */
public class MuseExtension implements QuPathExtension {
    static final String NAME = "MUSE";
    private boolean installed;

    @Override
    public void installExtension(QuPathGUI qupath) {
        if (installed) return;
        installed = true;
        MusePreferences.install(qupath);
        Muse.startBuildersFrom(MusePreferences::settings);  // scripts replayed in a fresh session use the preferences
        MuseCommands commands = new MuseCommands(qupath);
        Menu menu = qupath.getMenu("Extensions>" + NAME, true);
        menu.getItems().addAll(
                item("Detect nuclei", commands::detect),
                item("Fine-tune on annotations", commands::finetune),
                item("Pseudo-label surroundings", commands::pseudoLabel),
                item("Export detections as GeoJSON", commands::exportGeoJson),
                item("Settings", commands::settings));
    }

    private static MenuItem item(String text, Runnable action) {
        MenuItem item = new MenuItem(text);
        item.setOnAction(e -> action.run());
        return item;
    }

    @Override
    public String getName() {
        return "MUSE nucleus detection";
    }

    @Override
    public String getDescription() {
        return "Detects and classifies nuclei in H&E images with MUSE, and fine-tunes the model on your own annotations "
                + "(LFoV semi-supervised), all on the CPU with a native engine.";
    }

    /** The oldest QuPath this extension is written for (0.5.1 and 0.6.0 share every member it calls). */
    @Override
    public Version getQuPathVersion() {
        return Version.parse(MIN_QUPATH_VERSION);
    }

    /** This extension's version, from the jar's manifest (Implementation-Version). */
    @Override
    public Version getVersion() {
        return Version.parse(versionOr(manifestVersion(), "0.1.0"));
    }

    static final String MIN_QUPATH_VERSION = "0.5.1";

    /**
     * Implementation-Version from this extension's own jar manifest, or null (not from a jar). Read
     * from the jar rather than the Package, which another jar of the same package may define first.
     */
    static String manifestVersion() {
        try {
            var source = MuseExtension.class.getProtectionDomain().getCodeSource();
            if (source == null) return null;
            Path jar = Path.of(source.getLocation().toURI());
            if (!Files.isRegularFile(jar)) return null;
            try (var file = new java.util.jar.JarFile(jar.toFile())) {
                var manifest = file.getManifest();
                return manifest == null ? null : manifest.getMainAttributes().getValue("Implementation-Version");
            }
        } catch (java.io.IOException | URISyntaxException | SecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The manifest's version, or `fallback` when the classes do not come from the jar (tests, IDE). */
    static String versionOr(String manifestVersion, String fallback) {
        return manifestVersion == null || manifestVersion.isBlank() ? fallback : manifestVersion.strip();
    }

    /** The folder holding this extension's jar (where the native library and default model may sit); null if unknown. */
    static Path extensionFolder() {
        try {
            var source = MuseExtension.class.getProtectionDomain().getCodeSource();
            if (source == null) return null;
            Path jar = Path.of(source.getLocation().toURI());
            return Files.isDirectory(jar) ? jar : jar.getParent();
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return null;
        }
    }
}

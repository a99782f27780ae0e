package io.github.musequpath.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds and loads the native engine ({@code libmuse_jni.so} on Linux). Where it looks, in order:
 * <ol>
 *   <li>the path given to {@link #load(Path)} (QuPath: the extension's preference), a file or a folder;</li>
 *   <li>the system property {@value #PROPERTY} (a file or a folder);</li>
 *   <li>the environment variable {@value #ENVIRONMENT} (a file or a folder);</li>
 *   <li>{@code java.library.path}.</li>
 * </ol>
 * When nothing loads, the {@link MuseException} names every place tried and why it failed.
 * Thread-safe; the library is loaded once per JVM (and bound to the class loader that loaded
 * this class).
 */
public final class NativeLibrary {
    public static final String PROPERTY = "muse.native.library";
    public static final String ENVIRONMENT = "MUSE_NATIVE_LIBRARY";
    public static final String NAME = "muse_jni";

    private static boolean loaded;
    private static String loadedFrom;

    private NativeLibrary() { }

    /** Loads the library from the default places (property, environment, java.library.path). */
    public static synchronized void load() {
        load(null);
    }

    /** Loads the library, trying {@code preferred} (a file or a folder; may be null) first. */
    public static synchronized void load(Path preferred) {
        if (loaded) return;
        List<String> tried = new ArrayList<>();
        List<Path> candidates = new ArrayList<>();
        if (preferred != null) candidates.add(preferred);
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) candidates.add(Path.of(property));
        else tried.add("system property " + PROPERTY + ": not set");
        String env = System.getenv(ENVIRONMENT);
        if (env != null && !env.isBlank()) candidates.add(Path.of(env));
        else tried.add("environment variable " + ENVIRONMENT + ": not set");
        for (Path p : candidates) {
            Path file = Files.isDirectory(p) ? p.resolve(System.mapLibraryName(NAME)) : p;
            if (!Files.isRegularFile(file)) {
                tried.add(file + ": no such file");
                continue;
            }
            try {
                System.load(file.toAbsolutePath().toString());
                loaded = true;
                loadedFrom = file.toAbsolutePath().toString();
                return;
            } catch (UnsatisfiedLinkError e) {
                tried.add(file + ": " + e.getMessage());
            }
        }
        try {
            System.loadLibrary(NAME);
            loaded = true;
            loadedFrom = "java.library.path";
            return;
        } catch (UnsatisfiedLinkError e) {
            tried.add("java.library.path (" + System.getProperty("java.library.path") + "): " + e.getMessage());
        }
        throw new MuseException(MuseException.Kind.IO_ERROR, "the MUSE native library (" + System.mapLibraryName(NAME)
                + ") could not be loaded. Looked in:\n  " + String.join("\n  ", tried)
                + "\nSet the system property " + PROPERTY + " or the environment variable " + ENVIRONMENT
                + " to the library file or its folder (in QuPath: Edit > Preferences > MUSE > Native library).");
    }

    public static synchronized boolean isLoaded() {
        return loaded;
    }

    /** Where the library was loaded from (a file, or "java.library.path"); null before loading. */
    public static synchronized String loadedFrom() {
        return loadedFrom;
    }

    /** The engine's version, e.g. "0.1.0". Loads the library if needed. */
    public static String version() {
        load();
        return NativeBridge.version();
    }

    /**
     * Sets how many CPU threads the model's math uses, process-wide (0 = one per core).
     * Returns the count applied. Call before starting work.
     */
    public static int setComputeThreads(int threads) {
        if (threads < 0 || threads > 1024) throw new IllegalArgumentException("threads must be in 0..1024 (0 = one per core), got " + threads);
        load();
        return NativeBridge.setComputeThreads(threads);
    }

    /**
     * Makes the C allocator keep freed memory for reuse (process-wide): the model's forward pass
     * is several times faster, at the price that native memory stays at its peak until the JVM
     * exits. Returns false where the C library has no such setting.
     */
    public static boolean retainFreedMemory() {
        load();
        return NativeBridge.retainFreedMemory();
    }
}

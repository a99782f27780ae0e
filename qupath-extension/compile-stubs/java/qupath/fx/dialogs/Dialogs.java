// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.fx.dialogs;
public class Dialogs {
    public static void showErrorMessage(final String title, final String message) { throw new UnsupportedOperationException("compile-only declaration"); }
    public static void showErrorMessage(final String title, final Throwable e) { throw new UnsupportedOperationException("compile-only declaration"); }
    public static void showInfoNotification(final String title, final String message) { throw new UnsupportedOperationException("compile-only declaration"); }
    public static void showWarningNotification(final String title, final String message) { throw new UnsupportedOperationException("compile-only declaration"); }
    public static boolean showYesNoDialog(String title, String text) { throw new UnsupportedOperationException("compile-only declaration"); }
}

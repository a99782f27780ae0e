// Compile-only declaration of QuPath API (signatures as in QuPath 0.5.1 and 0.6.0, see
// ../../README.md). Written for this project; never shipped, never run against real objects.
package qupath.lib.plugins.workflow;
public class DefaultScriptableWorkflowStep implements WorkflowStep {
    public DefaultScriptableWorkflowStep(final String name, final String script) { throw new UnsupportedOperationException("compile-only declaration"); }
}

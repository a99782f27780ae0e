package qupath.ext.muse;

import java.io.File;
import java.util.List;
import java.util.Optional;
import javafx.collections.FXCollections;
import javafx.geometry.Insets;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonType;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Dialog;
import javafx.scene.control.Label;
import javafx.scene.control.RadioButton;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleGroup;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.stage.FileChooser;
import javafx.stage.Window;

/**
 * The "Detect nuclei" dialog (as InstanSeg's run dialog): model (bundled or a file), threads,
 * score threshold, points or ellipses, and which areas. It opens with the remembered choices and
 * checks what was typed before it closes (DetectChoices.parse, a message under the fields); the
 * caller remembers the result. Built from plain JavaFX so that it needs nothing of QuPath's.
 */
final class DetectDialog {
    private DetectDialog() { }

    /**
     * Shows the dialog; empty when cancelled. `classes` are the classes of the image's area
     * annotations (offered for the class scope); `selectedAreas` how many areas are selected.
     */
    static Optional<DetectChoices> show(Window owner, DetectChoices initial, List<String> classes, int selectedAreas) {
        Dialog<ButtonType> dialog = new Dialog<>();
        dialog.initOwner(owner);
        dialog.setTitle("MUSE: detect nuclei");
        dialog.setHeaderText("Detect and classify nuclei");
        ButtonType run = new ButtonType("Detect", javafx.scene.control.ButtonBar.ButtonData.OK_DONE);
        dialog.getDialogPane().getButtonTypes().addAll(run, ButtonType.CANCEL);

        CheckBox bundled = new CheckBox("Bundled model (muse-default.muse)");
        bundled.setSelected(initial.model() == null);
        TextField modelFile = new TextField(initial.model() == null ? "" : initial.model().toString());
        modelFile.setPromptText("a .muse model file");
        modelFile.setPrefColumnCount(28);
        Button browse = new Button("Choose...");
        modelFile.disableProperty().bind(bundled.selectedProperty());
        browse.disableProperty().bind(bundled.selectedProperty());
        browse.setOnAction(e -> {
            FileChooser chooser = new FileChooser();
            chooser.setTitle("MUSE model");
            chooser.getExtensionFilters().add(new FileChooser.ExtensionFilter("MUSE model", "*.muse"));
            File f = chooser.showOpenDialog(dialog.getDialogPane().getScene().getWindow());
            if (f != null) modelFile.setText(f.getPath());
        });
        TextField threads = new TextField(Integer.toString(initial.threads()));
        threads.setPromptText("0 = one per core");
        TextField threshold = new TextField(initial.scoreThreshold() == 0 ? "0" : Double.toString(initial.scoreThreshold()));
        threshold.setPromptText("0 = the model's");

        ToggleGroup geometry = new ToggleGroup();
        RadioButton points = new RadioButton("Points");
        RadioButton ellipses = new RadioButton("Ellipses (3 um)");
        points.setToggleGroup(geometry);
        ellipses.setToggleGroup(geometry);
        (initial.ellipses() ? ellipses : points).setSelected(true);

        ComboBox<DetectChoices.Scope> scope = new ComboBox<>(FXCollections.observableArrayList(DetectChoices.Scope.values()));
        scope.setConverter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(DetectChoices.Scope s) {
                if (s == null) return "";
                return s == DetectChoices.Scope.SELECTED ? s.label() + " (" + selectedAreas + ")" : s.label();
            }

            @Override
            public DetectChoices.Scope fromString(String text) {
                return null;
            }
        });
        scope.setValue(initial.scope());
        ComboBox<String> areaClass = new ComboBox<>(FXCollections.observableArrayList(classes));
        areaClass.setEditable(true);
        areaClass.setValue(initial.areaClass() != null ? initial.areaClass() : classes.isEmpty() ? "" : classes.get(0));
        areaClass.disableProperty().bind(scope.valueProperty().isNotEqualTo(DetectChoices.Scope.CLASS));

        Label error = new Label();
        error.setStyle("-fx-text-fill: #b00020;");
        error.setWrapText(true);

        GridPane grid = new GridPane();
        grid.setHgap(8);
        grid.setVgap(8);
        grid.setPadding(new Insets(10));
        int row = 0;
        grid.addRow(row++, new Label("Model"), bundled);
        grid.addRow(row++, new Label(""), new HBox(6, modelFile, browse));
        grid.addRow(row++, new Label("Threads"), threads);
        grid.addRow(row++, new Label("Score threshold"), threshold);
        grid.addRow(row++, new Label("Nuclei as"), new HBox(12, points, ellipses));
        grid.addRow(row++, new Label("Detect in"), scope);
        grid.addRow(row++, new Label("Class"), areaClass);
        grid.add(error, 0, row, 2, 1);
        dialog.getDialogPane().setContent(grid);

        DetectChoices[] parsed = new DetectChoices[1];
        Button ok = (Button) dialog.getDialogPane().lookupButton(run);
        ok.addEventFilter(javafx.event.ActionEvent.ACTION, e -> {
            try {
                parsed[0] = DetectChoices.parse(bundled.isSelected(), modelFile.getText(), threads.getText(), threshold.getText(),
                        ellipses.isSelected(), scope.getValue(), areaClass.getEditor().getText());
            } catch (IllegalArgumentException ex) {
                error.setText(ex.getMessage());
                e.consume();  // the dialog stays open with the message
            }
        });
        Optional<ButtonType> answer = dialog.showAndWait();
        return answer.isPresent() && answer.get() == run ? Optional.ofNullable(parsed[0]) : Optional.empty();
    }
}

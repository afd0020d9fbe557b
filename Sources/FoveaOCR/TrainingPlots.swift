// TrainingPlots: the pictures `fovea train classifier` leaves behind —
// loss and accuracy curves (train vs validation) and the validation
// confusion matrix.
import FoveaEngine
import FoveaImage
import FoveaPlot

public enum TrainingPlots {
    /// Loss and accuracy per epoch side by side, train and validation.
    public static func curves(_ history: History, title: String) -> Image {
        let epochs = (1...max(history.epochsRun, 1)).map(Double.init)
        func series(_ name: String, _ values: [Float]) -> [Series] {
            values.isEmpty ? [] : [Series(name: name, x: epochs, y: values.map(Double.init), marker: .circle)]
        }
        let loss = LineChart(title: "loss", xLabel: "epoch", yLabel: "loss",
                             series: series("train", history.loss) + series("validation", history.valLoss))
        let accuracy = LineChart(title: "accuracy", xLabel: "epoch", yLabel: "accuracy",
                                 series: series("train", history.accuracy) + series("validation", history.valAccuracy),
                                 legend: .bottomRight)
        return Panels([loss, accuracy], columns: 2, title: title).render(width: 1200, height: 500)
    }

    /// Loss per epoch beside a validation figure other than accuracy (the
    /// detector's COCO AP): `figures` maps each curve's name to its values.
    public static func curves(_ history: History, figures: [(name: String, values: [Double])], figureName: String,
                              title: String) -> Image {
        let epochs = (1...max(history.epochsRun, 1)).map(Double.init)
        func series(_ name: String, _ values: [Double]) -> [Series] {
            values.isEmpty ? [] : [Series(name: name, x: Array(epochs.prefix(values.count)), y: values, marker: .circle)]
        }
        let loss = LineChart(title: "loss", xLabel: "epoch", yLabel: "loss",
                             series: series("train", history.loss.map(Double.init))
                                + series("validation", history.valLoss.map(Double.init)))
        let figure = LineChart(title: figureName, xLabel: "epoch", yLabel: figureName,
                               series: figures.flatMap { series($0.name, $0.values) }, legend: .bottomRight)
        return Panels([loss, figure], columns: 2, title: title).render(width: 1200, height: 500)
    }

    /// Row-normalised confusion matrix (cells show recall), labelled on both axes.
    public static func confusion(_ matrix: ConfusionMatrix, mapping: LabelMapping, title: String) -> Image {
        let rows = (0..<matrix.classes).map { t in (0..<matrix.classes).map { matrix[t, $0] } }
        let labels = (0..<matrix.classes).map { mapping.label($0) }
        // Cells tall enough for every label at text scale 2 (18 px glyphs).
        let side = max(600, 28 * matrix.classes + 260)
        var heatmap = Heatmap.confusionMatrix(rows, labels: labels, normalize: true, title: title)
        heatmap.textScale = 2
        heatmap.showValues = false
        return heatmap.render(width: side, height: side)
    }
}

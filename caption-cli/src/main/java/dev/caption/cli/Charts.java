package dev.caption.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import dev.caption.nn.train.TrainingHistory;

/** PNG charts for training runs and strategy comparisons (XChart, headless). */
final class Charts {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /** Train loss per step and validation loss per epoch of one run. */
    static void lossCurve(Path png, String title, TrainingHistory h) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(520).title(title).xAxisTitle("step").yAxisTitle("loss").build();
        addRun(chart, "", h);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Several runs' curves on one chart, labelled by run. */
    static void lossCurves(Path png, String title, Map<String, TrainingHistory> runs) throws IOException {
        XYChart chart = new XYChartBuilder().width(1000).height(560).title(title).xAxisTitle("step").yAxisTitle("loss").build();
        runs.forEach((name, h) -> addRun(chart, name + " ", h));
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void addRun(XYChart chart, String prefix, TrainingHistory h) {
        List<Integer> steps = new ArrayList<>();
        for (int i = 1; i <= h.stepLoss().size(); i++) {
            steps.add(i);
        }
        if (!steps.isEmpty()) {
            XYSeries train = chart.addSeries(prefix + "train (per step)", steps, h.stepLoss());
            train.setMarker(SeriesMarkers.NONE);
        }
        if (!h.epochs().isEmpty()) {
            chart.addSeries(prefix + "validation (per epoch)",
                    h.epochs().stream().map(TrainingHistory.Epoch::step).toList(),
                    h.epochs().stream().map(TrainingHistory.Epoch::validationLoss).toList());
        }
    }

    /** One bar per category. */
    static void bars(Path png, String title, String yAxis, Map<String, ? extends Number> values) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(800).height(480).title(title).yAxisTitle(yAxis).build();
        chart.getStyler().setLegendVisible(false);
        chart.addSeries(yAxis, new ArrayList<>(values.keySet()), new ArrayList<Number>(values.values()));
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}

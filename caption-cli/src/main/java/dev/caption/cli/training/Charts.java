package dev.caption.cli.training;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import dev.caption.nn.train.TrainingHistory;

/**
 * PNG charts for training runs and strategy comparisons (XChart, headless). Every chart of a comparison gives a
 * strategy the same hue; training curves show the validation loss as a solid line with markers and the train loss
 * as a faint, smoothed line of the same hue; bars carry their 95% intervals as error bars on an axis that starts
 * near the data, so that small differences stay visible.
 */
final class Charts {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** One value with its 95% interval half-width (0: none). */
    record Bar(double value, double halfWidth) {
    }

    private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
        new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194),
        new Color(127, 127, 127)};

    private Charts() {
    }

    /** The hue of the {@code i}-th series of a comparison. */
    static Color hue(int i) {
        return PALETTE[Math.floorMod(i, PALETTE.length)];
    }

    /** Train loss (smoothed) and validation loss per epoch of one run. */
    static void lossCurve(Path png, String title, TrainingHistory h) throws IOException {
        lossCurves(png, title, Map.of("", h));
    }

    /** Several runs' curves on one chart: one hue per run. */
    static void lossCurves(Path png, String title, Map<String, TrainingHistory> runs) throws IOException {
        XYChart chart = new XYChartBuilder().width(1000).height(560).title(title).xAxisTitle("optimizer step")
                .yAxisTitle("loss (nats per caption token)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setXAxisDecimalPattern("#,##0");
        chart.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        int i = 0;
        for (Map.Entry<String, TrainingHistory> run : runs.entrySet()) {
            Color c = hue(i++);
            String name = run.getKey().isEmpty() ? "" : run.getKey() + " ";
            TrainingHistory h = run.getValue();
            if (!h.stepLoss().isEmpty()) {
                List<Double> steps = new ArrayList<>();
                for (int s = 1; s <= h.stepLoss().size(); s++) {
                    steps.add((double) s);
                }
                XYSeries train = chart.addSeries(name + "train (smoothed)", steps, smoothed(h.stepLoss()));
                train.setMarker(SeriesMarkers.NONE);
                train.setLineColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 90));
                train.setLineStyle(new BasicStroke(1.5f));
            }
            if (!h.epochs().isEmpty()) {
                XYSeries val = chart.addSeries(name + "validation",
                        h.epochs().stream().map(e -> (double) e.step()).toList(),
                        h.epochs().stream().map(TrainingHistory.Epoch::validationLoss).toList());
                val.setLineColor(c);
                val.setMarkerColor(c);
                val.setMarker(SeriesMarkers.CIRCLE);
                val.setLineStyle(new BasicStroke(2.5f));
            }
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * An exponential moving average whose span is a twentieth of the run (at least 10 steps), started from the mean
     * of its first window so the curve does not begin at one noisy step.
     */
    static List<Double> smoothed(List<Double> values) {
        int span = Math.max(10, values.size() / 20);
        double alpha = 2.0 / (span + 1);
        double ema = values.subList(0, Math.min(span, values.size())).stream().mapToDouble(Double::doubleValue)
                .average().orElse(0);
        List<Double> out = new ArrayList<>(values.size());
        for (double v : values) {
            ema = alpha * v + (1 - alpha) * ema;
            out.add(ema);
        }
        return out;
    }

    /**
     * One bar per category in its comparison hue, with error bars where a half-width is given. The value axis
     * starts at 0 when {@code fromZero} (counts, sizes); otherwise it spans the data and its intervals with a
     * margin, so that 0.92 and 0.97 look different.
     */
    static void bars(Path png, String title, String yAxis, Map<String, Bar> values, boolean fromZero) throws IOException {
        bars(png, title, yAxis, values, fromZero, "#,##0.####");
    }

    /** As above, with the value labels in {@code decimalPattern} ({@link java.text.DecimalFormat}). */
    static void bars(Path png, String title, String yAxis, Map<String, Bar> values, boolean fromZero, String decimalPattern)
            throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(800).height(480).title(title).yAxisTitle(yAxis).build();
        chart.getStyler().setOverlapped(true);
        chart.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setErrorBarsColor(Color.DARK_GRAY);
        // one series per bar gives each its hue, but would also label the zero bars of the other categories: the
        // value goes into the category name instead
        chart.getStyler().setLabelsVisible(false);
        java.text.DecimalFormat format = new java.text.DecimalFormat(decimalPattern,
                java.text.DecimalFormatSymbols.getInstance(java.util.Locale.ROOT));
        List<String> names = new ArrayList<>();
        values.forEach((name, bar) -> names.add(name + ": " + format.format(bar.value())));
        List<String> keys = new ArrayList<>(values.keySet());
        int chars = names.stream().mapToInt(String::length).sum();
        if (chars > 60) {
            chart.getStyler().setXAxisLabelRotation(25);       // long variant names would overlap side by side
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < names.size(); i++) {
            Bar b = values.get(keys.get(i));
            List<Double> y = new ArrayList<>();
            List<Double> err = new ArrayList<>();
            for (int j = 0; j < names.size(); j++) {
                y.add(j == i ? b.value() : 0.0);
                err.add(j == i ? b.halfWidth() : 0.0);
            }
            CategorySeries s = chart.addSeries(names.get(i), names, y, err);
            s.setFillColor(hue(i));
            lo = Math.min(lo, b.value() - b.halfWidth());
            hi = Math.max(hi, b.value() + b.halfWidth());
        }
        if (!fromZero && Double.isFinite(lo) && Double.isFinite(hi)) {
            double margin = Math.max((hi - lo) * 0.25, Math.abs(hi) * 1e-3 + 1e-9);
            chart.getStyler().setYAxisMin(lo - margin).setYAxisMax(hi + margin);
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}

// ServiceMetrics: what GET /metrics reports, through swift-metrics with
// swift-prometheus as the backend: requests by route, method and status,
// latency histograms per route, requests in flight, queue length and
// inference batch sizes and times (decode + pipeline, per batch) per
// pipeline route. Each server has its own
// registry (no process-wide bootstrap), so tests can run several.
import Foundation
import Metrics
import Prometheus

final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    let inFlight: Meter

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]
            .map { Duration.milliseconds($0) }
        factory.defaultValueHistogramBuckets = [1, 2, 3, 4, 6, 8, 12, 16, 32]
        self.factory = factory
        inFlight = Meter(label: "fovea_http_requests_in_flight", dimensions: [], factory: factory)
    }

    func record(route: String, method: String, status: Int, duration: Duration) {
        Counter(label: "fovea_http_requests_total",
                dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory).increment()
        Metrics.Timer(label: "fovea_http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    /// Observes the batches of one pipeline route.
    func batchObserver(route: String) -> BatchObserver {
        let recorder = Recorder(label: "fovea_inference_batch_size", dimensions: [("route", route)], aggregate: true, factory: factory)
        let timer = Metrics.Timer(label: "fovea_inference_duration_seconds", dimensions: [("route", route)], factory: factory)
        return { count, duration in
            recorder.record(count)
            timer.recordNanoseconds(duration.nanoseconds)
        }
    }

    /// The Prometheus text, with the queue lengths read now.
    func text(queueLengths: [(route: String, length: Int)]) -> String {
        for q in queueLengths {
            Gauge(label: "fovea_inference_queue_length", dimensions: [("route", q.route)], factory: factory).record(q.length)
        }
        return registry.emitToString()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

// Running a fully convolutional model at another input size. Layers fix
// their geometry when built, so a model for a new height and width is a
// fresh stack of the same layer configs whose parameters are copied from
// the original (weights and BatchNormalization statistics alike).

import Foundation

extension Sequential {
    /// The same network built for `inputShape`, sharing no storage with this
    /// one; fails when a layer cannot take that shape (a Dense layer after
    /// Flatten fixes the spatial size, for example).
    public func resized(inputShape newShape: [Int]) throws -> Sequential {
        if newShape == inputShape { return self }
        let layers = try self.layers.map { layer -> Layer in
            let copy = try LayerRegistry.make(typeName: layer.typeName, config: LayerRegistry.config(of: layer))
            copy.name = layer.name
            copy.trainable = layer.trainable
            return copy
        }
        let model = try Sequential(inputShape: newShape, layers: layers, name: name)
        for (source, target) in zip(self.layers, model.layers) {
            let from = source.parameters, to = target.parameters
            guard from.count == to.count else {
                throw EngineError.shapeMismatch("\(source.name): \(from.count) parameters, rebuilt with \(to.count)")
            }
            for (a, b) in zip(from, to) {
                guard a.value.shape == b.value.shape else {
                    throw EngineError.shapeMismatch(
                        "\(source.name)/\(a.name) has shape \(a.value.shape) but the model for input \(newShape) "
                        + "needs \(b.value.shape): the network is not fully convolutional")
                }
                b.value.data = a.value.data
            }
        }
        return model
    }
}

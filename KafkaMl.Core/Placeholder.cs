namespace KafkaMl.Core; internal static class Placeholder { }

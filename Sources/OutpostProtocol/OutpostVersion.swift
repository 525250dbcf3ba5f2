/// The release of Outpost this build is: nodes send it to the hub (`User-Agent`, and in their
/// status reports), the hub reports it at `/health`, and `outpost --version` prints it.
public enum OutpostVersion {
    public static let current = "0.1.0"
}

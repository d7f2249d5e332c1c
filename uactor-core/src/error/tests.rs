use super::*;
use crate::Codec;

#[test]
fn errors_travel_through_the_codec() {
    let errors = [
        Error::ActorDied {
            status: Exit::Signal(9),
        },
        Error::Timeout {
            after: Duration::from_millis(250),
        },
        Error::Remote {
            message: "boom".into(),
        },
        Error::FrameTooLarge { size: 10, max: 5 },
        Error::Closed,
        Error::ActorDied {
            status: Exit::HostLost {
                host: std::net::IpAddr::from([10, 0, 0, 7]),
                worker: 42,
            },
        },
    ];
    for error in errors {
        let mut bytes = Vec::new();
        crate::Postcard::encode(&error, &mut bytes).unwrap();
        let back: Error = crate::Postcard::decode(&bytes).unwrap();
        assert_eq!(back, error);
    }
}

#[test]
fn display_says_what_happened() {
    let died = Error::ActorDied {
        status: Exit::Signal(9),
    }
    .to_string();
    assert!(died.contains("SIGKILL"), "{died}");
    let lost = Error::ActorDied {
        status: Exit::HostLost {
            host: std::net::IpAddr::from([10, 0, 0, 7]),
            worker: 42,
        },
    }
    .to_string();
    assert!(lost.contains("10.0.0.7") && lost.contains("42"), "{lost}");
    let io = Error::io("reading a frame", std::io::Error::other("reset"));
    assert!(io.to_string().contains("reading a frame: reset"));
    assert!(std::error::Error::source(&io).is_some());
}

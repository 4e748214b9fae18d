//! Process control from outside the server: the pid file and `-k`, systemd (socket activation and
//! readiness notification), and dropping root privileges in children (User, Group).

pub mod dash_k;
pub mod pidfile;
pub mod privileges;
pub mod systemd;

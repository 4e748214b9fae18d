//! placeholder, replaced below
use mapache_plugin_api::{mapache_module, sdk::*};
struct Static;
impl HandlerModule for Static {
    fn init(_: &Config<'_>) -> Result<Self, String> {
        Ok(Static)
    }
    fn handle(&self, _req: &mut Request<'_>) -> Outcome {
        Outcome::Declined
    }
}
mapache_module! { symbol: static_module, name: "static", handler: Static, directives: [("Foo", TAKE1, ANY, "help")] }

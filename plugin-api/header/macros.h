/* MAPACHE_EXPORT: put before the descriptor's definition, so a module built with
 * -fvisibility=hidden still exports it:  MAPACHE_EXPORT const MapacheModule hello_module = {...}; */
#if defined(__GNUC__) || defined(__clang__)
#define MAPACHE_EXPORT __attribute__((visibility("default")))
#else
#define MAPACHE_EXPORT
#endif

/* MAPACHE_HOST_HAS(host, field): whether the core's host table (a const MapacheHost *) has the
 * function "field", i.e. the field lies inside the struct_size the core declared. Check it
 * before calling a function appended in a later minor than the oldest core you support. */
#define MAPACHE_HOST_HAS(host, field) \
    (offsetof(MapacheHost, field) + sizeof(((const MapacheHost *)0)->field) <= (size_t)(host)->struct_size)

#ifdef __cplusplus
extern "C" {
#endif

/* The host table's functions take the descriptor, which is defined after the host table. */
struct MapacheModule;

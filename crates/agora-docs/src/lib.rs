//! Agora's documents: what the platform signs and what anyone can verify offline.

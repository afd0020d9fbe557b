// Runs each CFoveaKernels kernel on fixed pseudo-random inputs and writes the
// outputs (raw float32) to the file named by argv[1]; Tools/check_kernel_clones.sh
// builds it once per instruction set and compares the dumps.
#include "fovea_kernels.h"
#include <stdio.h>
#include <stdlib.h>
static float rnd(unsigned *s){ *s = *s * 1664525u + 1013904223u; return ((*s >> 8) & 0xffff) / 65536.0f - 0.5f; }
static void fill(float *p, long n, unsigned seed){ for(long i=0;i<n;i++) p[i]=rnd(&seed); }
int main(int argc, char **argv){
  FILE *out = fopen(argv[1], "wb");
  // direct conv: 2 images 9x10x3 -> 40 filters, 5x3 same-ish padding
  int n=2,h=9,w=10,c=3,f=40,kh=5,kw=3,pt=2,pl=1,oh=9,ow=10;
  float *x=malloc(4L*n*h*w*c),*k=malloc(4L*kh*kw*c*f),*b=malloc(4L*f),*y=calloc(n*oh*ow*f,4),*dk=calloc(kh*kw*c*f,4),*db=calloc(f,4);
  fill(x,n*h*w*c,1); fill(k,kh*kw*c*f,2); fill(b,f,3);
  fovea_conv_direct_forward(x,n,h,w,c,k,kh,kw,f,pt,pl,oh,ow,b,1,0,oh,ow,0,f,y); fwrite(y,4,n*oh*ow*f,out);
  fovea_conv_direct_filter_grad(x,n,h,w,c,y,kh,kw,f,pt,pl,oh,ow,dk,db); fwrite(dk,4,kh*kw*c*f,out); fwrite(db,4,f,out);
  // pooling: 2 images 7x9x37
  int ph=7,pw=9,pc=37,qh=3,qw=4; float *px=malloc(4L*2*ph*pw*pc),*py=calloc(2*qh*qw*pc,4),*pg=malloc(4L*2*qh*qw*pc),*pd=calloc(2*ph*pw*pc,4);
  unsigned s=5; for(long i=0;i<2L*ph*pw*pc;i++) px[i]=(float)((s=s*1664525u+1013904223u)>>30);
  fill(pg,2*qh*qw*pc,6);
  fovea_maxpool2x2_forward(px,2,ph,pw,pc,qh,qw,py); fwrite(py,4,2*qh*qw*pc,out);
  fovea_maxpool2x2_backward(px,py,pg,2,ph,pw,pc,qh,qw,pd); fwrite(pd,4,2*ph*pw*pc,out);
  // the index-keeping pooling and its scatter on the same input
  unsigned char *pk=malloc(2*qh*qw*pc); float *py2=calloc(2*qh*qw*pc,4),*pd2=calloc(2*ph*pw*pc,4),*pkf=malloc(4L*2*qh*qw*pc);
  fovea_maxpool2x2_forward_index(px,2,ph,pw,pc,qh,qw,py2,pk); fwrite(py2,4,2*qh*qw*pc,out);
  for(long i=0;i<2L*qh*qw*pc;i++) pkf[i]=pk[i]; fwrite(pkf,4,2*qh*qw*pc,out);
  fovea_maxpool2x2_scatter(pg,pk,2,ph,pw,pc,qh,qw,pd2); fwrite(pd2,4,2*ph*pw*pc,out);
  // adam on 1000 values
  float *aw=malloc(4000),*ag=malloc(4000),*am=calloc(1000,4),*av=calloc(1000,4); fill(aw,1000,7); fill(ag,1000,8);
  for(int t=0;t<3;t++) fovea_adam_update(aw,ag,am,av,1000,0.9f,0.999f,1e-3f,1e-7f); fwrite(aw,4,1000,out);
  // winograd input transform: 2 images 7x6x20, same padding
  fovea_wino_geometry g={7,6,20,7,6,8,1,1,2,2};
  long tiles=2L*g.tiles_h*g.tiles_w; float *wx=malloc(4L*2*7*6*20),*wv=calloc(36*fovea_wino_plane(tiles,20),4); fill(wx,2*7*6*20,9);
  fovea_wino4_transform_input(&g,wx,0,tiles,tiles,wv); fwrite(wv,4,36*fovea_wino_plane(tiles,20),out);
  float *wm=malloc(4L*36*fovea_wino_plane(tiles,8)),*wy=calloc(2*7*6*8,4); fill(wm,36*fovea_wino_plane(tiles,8),10);
  fovea_wino4_transform_output(&g,wm,0,tiles,tiles,b,1,wy); fwrite(wy,4,2*7*6*8,out);
  // the products: 37 x 96 x 300 (row tail, two depth slices), and the
  // transposed-A form accumulating onto it; then one image's direct forward
  // split by filter block (two halves written separately)
  float *ga=malloc(4L*37*300),*gb=malloc(4L*300*96),*gc=calloc(37*96,4),*gs=malloc(4L*(300*32+256));
  fill(ga,37*300,11); fill(gb,300*96,12);
  fovea_gemm_nn(37,96,300,ga,300,gb,96,gc,96,0,gs); fwrite(gc,4,37*96,out);
  fovea_gemm_tn(37,96,300,ga,37,gb,96,gc,96,1,gs); fwrite(gc,4,37*96,out);
  float *y2=calloc(oh*ow*f,4);
  fovea_conv_direct_forward(x,1,h,w,c,k,kh,kw,f,pt,pl,oh,ow,b,0,0,oh,ow,0,32,y2);
  fovea_conv_direct_forward(x,1,h,w,c,k,kh,kw,f,pt,pl,oh,ow,b,0,0,oh,ow,32,f,y2); fwrite(y2,4,oh*ow*f,out);
  // one image's 2x2 tiles by the few-tile paths, F(4x4) and F(3x3): 7x7x20
  // (a channel tail) -> 32 filters, kernel regrouped, products in two filter
  // halves, output transform
  fovea_wino_geometry fg={7,7,20,7,7,32,1,1,2,2};
  float *fx=malloc(4L*7*7*20),*fk=malloc(4L*9*20*32),*fp=malloc(4L*9*20*32),*fvr=calloc(36*2*16*4,4);
  float *fm=calloc(36*fovea_wino_plane(4,32),4),*fy=calloc(7*7*32,4); fill(fx,7*7*20,13); fill(fk,9*20*32,14);
  fovea_wino_few_tiles_pack(fk,20,32,0,32,fp);
  for(int window=6; window>=5; window--){
    fovea_wino_few_tiles_input(window,&fg,fx,0,20,fvr); fwrite(fvr,4,window*window*2*16*4,out);
    fovea_wino_few_tiles_products(window,fvr,4,20,fp,32,0,16,fm);
    fovea_wino_few_tiles_products(window,fvr,4,20,fp,32,16,32,fm); fwrite(fm,4,window*window*fovea_wino_plane(4,32),out);
    if(window==6){
      fovea_wino4_transform_output_filters(&fg,fm,0,4,4,16,32,b,1,fy);
      fovea_wino4_transform_output_filters(&fg,fm,0,4,4,0,16,b,1,fy);
    } else {
      fovea_wino3_transform_output_filters(&fg,fm,0,4,4,16,32,b,1,fy);
      fovea_wino3_transform_output_filters(&fg,fm,0,4,4,0,16,b,1,fy);
    }
    fwrite(fy,4,7*7*32,out);
  }
  // F(3x3) for a batch: kernel and input transforms (the input of the
  // F(4x4) case above, 2x2 3x3-tiles an image)
  float *u3=malloc(4L*25*20*8); fovea_wino3_transform_kernel(k,20*8,0,20*8,u3); fwrite(u3,4,25*20*8,out);
  fovea_wino_geometry g3={7,6,20,7,6,8,1,1,2,2};
  float *v3=calloc(25*fovea_wino_plane(8,20),4); fovea_wino3_transform_input(&g3,wx,0,8,8,v3); fwrite(v3,4,25*fovea_wino_plane(8,20),out);
  // the direct forward fused with 2x2 max pooling: the direct case above
  // (9x10 -> 4x5 pooled, dropping a row), two halves of the filters
  float *dp=calloc(n*4*5*f,4);
  fovea_conv_direct_forward_maxpool2(x,n,h,w,c,k,kh,kw,f,pt,pl,oh,ow,b,1,4,5,0,4,0,32,dp);
  fovea_conv_direct_forward_maxpool2(x,n,h,w,c,k,kh,kw,f,pt,pl,oh,ow,b,1,4,5,0,4,32,f,dp); fwrite(dp,4,n*4*5*f,out);
  fclose(out); return 0;
}
